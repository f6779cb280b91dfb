"""Base provisioning on the real engine: the busybox stand-in is built, labelled, reused and runs a shell."""

import io
import re
import uuid
from pathlib import Path

import docker
import pytest
from django.conf import settings

from worker.bases.provision import provision
from worker.bases.specs import (
    IMAGE_LABEL,
    RECIPE_LABEL,
    RECIPE_VERSION_LABEL,
    SOURCE_LABEL,
    STAND_IN_VERSION,
    BaseSpec,
    ProvisionError,
    load_allowed_bases,
    read_bases,
    read_bases_file,
)


def test_read_bases_reads_the_real_file():
    specs = read_bases(Path(settings.PATTERNS_DIR) / "bases.yaml")
    by_image = {spec.image: spec for spec in specs}
    assert by_image["busybox:1.35"].recipe == "busybox-static"
    debian = by_image["debian:bookworm-slim"]
    assert (debian.recipe, debian.suite, debian.variant, debian.packages) == (
        "debootstrap",
        "bookworm",
        "minbase",
        (),
    )
    assert "golang-go" in by_image["golang:1.19-bookworm"].packages
    assert all(spec.purpose for spec in specs)


def test_allowed_bases_come_from_bases_yaml():
    assert "busybox:1.35" in load_allowed_bases()


def test_the_worker_reads_the_images_of_a_file_sync_patterns_refuses(tmp_path):
    path = tmp_path / "bases.yaml"
    path.write_text("bases:\n- image: busybox:1.35\n- image: alpine\n  offline: {recipe: wget}\n")
    assert [spec.image for spec in read_bases(path)] == ["busybox:1.35", "alpine"]
    listing = read_bases_file(path)
    assert listing.pinned_images == ["busybox:1.35"]
    assert [str(problem) for problem in listing.problems] == [
        "bases[0].offline.recipe: expected one of busybox-static, debootstrap",
        "bases[1].image: expected an image pinned by tag, not latest",
    ]
    path.write_text("")
    assert read_bases(path) == []


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("bases: [\n", "invalid YAML at line"),
        ("- busybox:1.35\n", "bases: expected a list of {image, purpose, offline}"),
        ("bases:\n- purpose: no image\n", "bases[0].image: expected an image pinned by tag"),
        ("bases:\n- image: busybox:1.35\n  offline: busybox-static\n", "bases[0].offline.recipe: expected"),
    ],
)
def test_a_file_not_shaped_like_bases_yaml_is_refused_naming_the_field(tmp_path, text, problem):
    path = tmp_path / "bases.yaml"
    path.write_text(text)
    with pytest.raises(ValueError, match=re.escape(f"{path}: {problem}")):
        read_bases(path)


@pytest.fixture
def busybox_spec(docker_client):
    # A ref of its own: the shared busybox:1.35 other work relies on is never rebuilt or removed here.
    spec = BaseSpec(
        image=f"catalog-test/busybox:1.35-{uuid.uuid4().hex[:8]}", purpose="test", recipe="busybox-static"
    )
    yield spec
    for image in docker_client.images.list(name=spec.image.split(":")[0]):
        if spec.image in image.tags:
            docker_client.images.remove(image.id, force=True)


def test_absent_busybox_is_built_labelled_then_reused(docker_client, docker_labels, busybox_spec):
    events: list[str] = []
    built = provision(
        docker_client, busybox_spec, try_pull=False, on_event=events.append, labels=docker_labels
    )
    assert (built.source, built.origin, built.recipe, built.digest) == (
        "stand-in",
        "stand-in",
        "busybox-static",
        "",
    )
    assert any("one-layer root filesystem" in event for event in events)
    image = docker_client.images.get(busybox_spec.image)
    assert len(image.attrs["RootFS"]["Layers"]) == 1  # as the published busybox image
    labels = image.labels
    assert {
        SOURCE_LABEL: "stand-in",
        RECIPE_LABEL: "busybox-static",
        IMAGE_LABEL: busybox_spec.image,
    }.items() <= labels.items()
    assert docker_labels.items() <= labels.items()
    assert 1_000_000 < built.size < 5_000_000

    again: list[str] = []
    reused = provision(
        docker_client, busybox_spec, try_pull=False, on_event=again.append, labels=docker_labels
    )
    assert (reused.source, reused.origin, reused.image_id) == ("present", "stand-in", built.image_id)
    assert again == []  # nothing pulled, nothing built


def test_a_stand_in_of_an_older_recipe_is_built_again(docker_client, docker_labels, busybox_spec):
    old = {
        SOURCE_LABEL: "stand-in",
        RECIPE_LABEL: "busybox-static",
        RECIPE_VERSION_LABEL: "1",
        **docker_labels,
    }
    stale, _ = docker_client.images.build(
        fileobj=io.BytesIO(b"FROM busybox:1.35\nLABEL stale=yes\n"),
        tag=busybox_spec.image,
        labels=old,
        rm=True,
    )
    events: list[str] = []
    record = provision(
        docker_client, busybox_spec, try_pull=False, on_event=events.append, labels=docker_labels
    )
    assert record.source == "stand-in" and record.image_id != stale.id
    assert any("older recipe" in event for event in events)
    labels = docker_client.images.get(busybox_spec.image).labels
    assert labels[RECIPE_VERSION_LABEL] == STAND_IN_VERSION
    with pytest.raises(docker.errors.ImageNotFound):
        docker_client.images.get(stale.id)


def test_stand_in_runs_a_shell_without_network(docker_client, docker_labels, busybox_spec):
    provision(docker_client, busybox_spec, try_pull=False, on_event=lambda _: None, labels=docker_labels)
    output = docker_client.containers.run(
        busybox_spec.image,
        ["sh", "-c", "echo ok"],
        network_disabled=True,
        labels=docker_labels,
        remove=True,
    )
    assert output == b"ok\n"


def test_failed_pull_falls_back_to_the_stand_in(docker_client, docker_labels, busybox_spec):
    # No registry serves catalog-test/*: unreachable or answering "not found", the pull fails either way.
    events: list[str] = []
    record = provision(
        docker_client, busybox_spec, try_pull=True, on_event=events.append, labels=docker_labels
    )
    assert record.source == "stand-in"
    assert any(event.startswith("pull failed") for event in events)


def test_unknown_recipe_names_the_base(docker_client):
    spec = BaseSpec(image=f"catalog-test/nothing:{uuid.uuid4().hex[:8]}", purpose="test", recipe="nix")
    with pytest.raises(ProvisionError, match=r"catalog-test/nothing:.*unknown offline recipe 'nix'"):
        provision(docker_client, spec, try_pull=False, on_event=lambda _: None)
