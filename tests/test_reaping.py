"""The reaper removes what the worker labelled and no live attempt owns, and nothing else."""

import contextlib
import time

import pytest
from docker.errors import NotFound

from worker.engine.reaping import BUILDING_GRACE_SECONDS, reap

pytestmark = pytest.mark.docker


def make(client, labels: dict, name: str) -> None:
    client.containers.create("busybox:1.35", ["true"], name=name, labels=labels, network_mode="none")
    client.volumes.create(name=f"{name}-data", labels=labels)


def container_exists(client, name: str) -> bool:
    return bool(client.containers.list(all=True, filters={"name": f"^{name}$"}))


def volume_exists(client, name: str) -> bool:
    return any(volume.name == name for volume in client.volumes.list())


def test_reap_keeps_live_attempts_and_what_is_not_ours(docker_client, docker_labels):
    owner = f"reaper-test-{docker_labels['catalog.test-run']}"  # nothing but this test's objects
    ours = {**docker_labels, "catalog.owner": owner, "catalog.instance": "mine"}
    names = [f"{owner}-stale", f"{owner}-live", f"{owner}-no-owner", f"{owner}-other-catalog"]
    make(docker_client, {**ours, "catalog.verification": "7", "catalog.attempt": "1"}, names[0])
    make(docker_client, {**ours, "catalog.verification": "7", "catalog.attempt": "2"}, names[1])
    make(docker_client, {**docker_labels, "catalog.verification": "7", "catalog.attempt": "1"}, names[2])
    other = {**ours, "catalog.instance": "theirs", "catalog.verification": "7", "catalog.attempt": "1"}
    make(docker_client, other, names[3])
    reap_mine = {"live_attempts": [(7, 2)], "owner": owner, "instance": "mine"}
    try:
        report = reap(docker_client, **reap_mine)
        assert (report.containers, report.volumes) == (1, 1)
        assert [container_exists(docker_client, name) for name in names] == [False, True, True, True]
        assert [volume_exists(docker_client, f"{name}-data") for name in names] == [False, True, True, True]
        assert reap(docker_client, **reap_mine).total == 0
    finally:
        for name in names:
            with contextlib.suppress(NotFound):
                docker_client.containers.get(name).remove(force=True)
            with contextlib.suppress(NotFound):
                docker_client.volumes.get(f"{name}-data").remove(force=True)


def build_labelled(client, labels: dict) -> str:
    import io

    dockerfile = io.BytesIO(b"FROM busybox:1.35\n")
    image, _ = client.images.build(fileobj=dockerfile, labels=labels, rm=True)
    return image.id


def test_reap_removes_images_no_live_attempt_owns(docker_client, docker_labels):
    owner = f"reaper-test-{docker_labels['catalog.test-run']}"
    ours = {**docker_labels, "catalog.owner": owner, "catalog.instance": "mine"}
    # As the worker labels them: images carry the verification, never the attempt.
    stale = build_labelled(docker_client, {**ours, "catalog.verification": "9"})
    live = build_labelled(docker_client, {**ours, "catalog.verification": "10"})
    try:
        report = reap(docker_client, [(10, 1)], owner=owner, instance="mine")
        assert report.images == 1
        remaining = {
            image.id for image in docker_client.images.list(filters={"label": f"catalog.owner={owner}"})
        }
        assert remaining == {live}
    finally:
        for image in (stale, live):
            with contextlib.suppress(NotFound):
                docker_client.images.remove(image, force=True)


def test_reap_leaves_a_half_labelled_build_step_image_until_it_is_old(docker_client, docker_labels):
    """The classic builder labels one key per step: owner and instance come before the verification."""
    owner = f"reaper-test-{docker_labels['catalog.test-run']}"
    halfway = build_labelled(
        docker_client, {**docker_labels, "catalog.owner": owner, "catalog.instance": "mine"}
    )
    try:
        assert reap(docker_client, [], owner=owner, instance="mine").images == 0
        later = time.time() + BUILDING_GRACE_SECONDS + 60
        assert reap(docker_client, [], owner=owner, instance="mine", now=later).images == 1
    finally:
        with contextlib.suppress(NotFound):
            docker_client.images.remove(halfway, force=True)


def test_reap_keeps_the_build_step_containers_of_a_live_verification(docker_client, docker_labels):
    """A RUN step's container inherits the base copy's labels: the verification, never the attempt."""
    owner = f"reaper-test-{docker_labels['catalog.test-run']}"
    ours = {**docker_labels, "catalog.owner": owner, "catalog.instance": "mine"}
    live_step, dead_step = f"{owner}-live-step", f"{owner}-dead-step"
    make(docker_client, {**ours, "catalog.verification": "10"}, live_step)
    make(docker_client, {**ours, "catalog.verification": "11"}, dead_step)
    try:
        report = reap(docker_client, [(10, 1)], owner=owner, instance="mine")
        assert report.containers == 1
        assert [container_exists(docker_client, name) for name in (live_step, dead_step)] == [True, False]
    finally:
        for name in (live_step, dead_step):
            with contextlib.suppress(NotFound):
                docker_client.containers.get(name).remove(force=True)
            with contextlib.suppress(NotFound):
                docker_client.volumes.get(f"{name}-data").remove(force=True)
