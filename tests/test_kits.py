"""The offline kit of a workshop, built from the catalog and the real engine: contents, figures, checksums."""

from __future__ import annotations

import json
import subprocess
import tarfile

import pytest
from django.core.cache import cache

from catalog.kits.build import build_kit
from catalog.kits.plan import NoSuchKit, plan_for
from tests.workshop_files import BUSYBOX, MB, example, finished, measured_result, synced_site

pytestmark = pytest.mark.django_db

ROOT = "morning--short-kit"


@pytest.fixture
def site(tmp_path):
    return synced_site(tmp_path)


def test_the_plan_follows_the_agenda_and_the_measured_layers(site):
    finished(example("pattern-0"), "passed", measured_result({BUSYBOX: ((f"sha256:{'b' * 64}", 2 * MB),)}))
    plan = plan_for("morning")
    assert [e.folder for e in plan.examples] == [
        "examples/01-pattern-0--hello",
        "examples/02-pattern-1--hello",
        "examples/03-pattern-2--hello",
    ]
    assert plan.bases == (BUSYBOX,) and plan.unmeasured == () and plan.packed == 2 * MB
    assert all(path != "example.yaml" for e in plan.examples for path, _, _ in e.files)
    short = plan_for("morning", "short")
    assert short.name == "morning--short" and len(short.examples) == 2  # the extra item is dropped
    with pytest.raises(NoSuchKit, match="has no cut 'long' \\(its cuts: short\\)"):
        plan_for("morning", "long")
    with pytest.raises(NoSuchKit, match="no workshop 'evening'"):
        plan_for("evening")


def test_a_base_no_verification_measured_is_in_the_kit_and_named_unmeasured(site):
    plan = plan_for("morning")
    assert plan.bases == (BUSYBOX,) and plan.unmeasured == (BUSYBOX,) and plan.packed == 0


@pytest.mark.docker
def test_two_builds_are_byte_identical_and_the_checksums_catch_a_changed_file(
    site, docker_client, busybox, tmp_path
):
    plan = plan_for("morning", "short")
    first = build_kit(docker_client, plan, tmp_path / "one", say=lambda text: None)
    second = build_kit(docker_client, plan, tmp_path / "two", say=lambda text: None)
    assert first.archive.read_bytes() == second.archive.read_bytes()
    assert first.archive.name == "morning--short.tar.gz"

    unpacked = tmp_path / "unpacked"
    with tarfile.open(first.archive) as archive:
        names = archive.getnames()
        assert all(member.mtime == 0 and member.uid == 0 for member in archive.getmembers())
        archive.extractall(unpacked, filter="data")
    kit = unpacked / ROOT
    assert names == sorted(names)
    assert {"README.txt", "SHA256SUMS", "images.tar", "load.sh", "manifest.json"} <= {
        p.name for p in kit.iterdir()
    }
    assert (kit / "examples/01-pattern-0--hello/Dockerfile").is_file()
    assert not (kit / "examples/01-pattern-0--hello/example.yaml").exists()
    assert (kit / "load.sh").stat().st_mode & 0o111 and (kit / "check.sh").stat().st_mode & 0o111
    assert (kit / "site/index.html").is_file() and (kit / "site/slides.html").is_file()
    assert (kit / "checks/01-pattern-0--hello/01.sh").is_file()

    manifest = json.loads((kit / "manifest.json").read_text())
    assert manifest["images"] == [BUSYBOX] and manifest["cut"] == "short"
    assert manifest["sizes"]["images_tar"] == (kit / "images.tar").stat().st_size
    listed = {entry["path"]: entry for entry in manifest["files"]}
    assert listed["load.sh"]["size"] == (kit / "load.sh").stat().st_size
    described = json.loads(first.description.read_text())
    assert (described["size"], described["sha256"]) == (first.size, first.sha256)

    check = ["sha256sum", "-c", "--quiet", "SHA256SUMS"]
    assert subprocess.run(check, cwd=kit, capture_output=True).returncode == 0
    dockerfile = kit / "examples/01-pattern-0--hello/Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "RUN echo changed on the stick\n")
    tampered = subprocess.run(check, cwd=kit, capture_output=True, text=True)
    assert tampered.returncode != 0 and "examples/01-pattern-0--hello/Dockerfile: FAILED" in tampered.stdout

    with tarfile.open(kit / "images.tar") as images:
        saved = json.load(images.extractfile("manifest.json"))
    assert [entry["RepoTags"] for entry in saved] == [[BUSYBOX]]


def test_the_workshop_page_shows_the_kits_figures_before_anyone_builds_it(client, site):
    assert "is not measured yet" in client.get("/workshops/morning/").content.decode()
    for pattern in ("pattern-0", "pattern-1", "pattern-2"):
        layers = ((f"sha256:{'b' * 64}", 2 * MB, 5 * MB),)
        finished(example(pattern), "passed", measured_result({BUSYBOX: layers}))
    cache.clear()
    html = client.get("/workshops/morning/?cut=short").content.decode()
    plan = plan_for("morning", "short")
    assert plan.unpacked == 5 * MB and plan.archive_estimate == 2 * MB + plan.files_size
    assert f"About <strong>{plan.archive_text}</strong> to copy, and {plan.disk_text} of free disk" in html
    assert "manage.py workshop_kit morning --cut short" in html


def test_a_frozen_workshops_kit_holds_the_files_as_frozen_while_the_catalog_moves_on(site):
    from catalog.content.importer import sync_patterns
    from catalog.models import Workshop
    from catalog.workshops.freeze import freeze_now

    tree, folder = site
    freeze_now(Workshop.objects.get(slug="morning"))
    script = tree / "pattern-0" / "examples" / "hello" / "hello.sh"
    frozen_text = script.read_bytes()
    script.write_text("#!/bin/sh\necho hello, changed after the freeze\n")
    (tree / "pattern-0" / "examples" / "hello" / "notes.txt").write_text("added after the freeze\n")
    assert sync_patterns(tree, folder).ok

    first = plan_for("morning").examples[0]
    files = {path: (content, executable) for path, content, executable in first.files}
    assert files["hello.sh"] == (frozen_text, True) and "notes.txt" not in files
    assert first.commands  # from the frozen example.yaml
    Workshop.objects.get(slug="morning").freeze.delete()
    assert (
        b"changed after the freeze"
        in dict((p, c) for p, c, _ in plan_for("morning").examples[0].files)["hello.sh"]
    )
