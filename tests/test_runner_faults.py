"""Faults that are not the example's: objects removed from outside, an engine erring in clean-up."""

from __future__ import annotations

import docker
import pytest
import requests

from tests.scenario_runs import example, run
from worker.engine.client import label_filters
from worker.images.builder import try_remove_images

pytestmark = pytest.mark.usefixtures("busybox")

SLEEPER = 'FROM busybox:1.35\nCMD ["sleep", "30"]\n'


def remove_from_outside(client, labels, kind: str):
    """An on_event hook that removes the run's objects as `docker system prune` or another tool would."""
    fired = []

    def hook(line: str) -> None:
        if fired or not line.startswith("  -> "):
            return  # wait until the first step has finished
        fired.append(line)
        if kind == "containers":
            for container in client.containers.list(all=True, filters=label_filters(labels)):
                container.remove(force=True)
        else:
            for image in client.images.list(filters=label_filters(labels)):
                client.images.remove(image.id, force=True)

    return hook


def test_a_container_removed_from_outside_is_an_infrastructure_fault(docker_client, labels):
    scenario = example(
        files={"Dockerfile": SLEEPER},
        steps=[
            {"run": {"image": "app", "name": "app", "detach": True}},
            {"stop": {"container": "app", "timeout": "2s"}, "expect": {"stopped_within": "3s"}},
        ],
    )
    hook = remove_from_outside(docker_client, labels, "containers")
    result, _ = run(docker_client, labels, scenario, also=hook)
    assert (result.outcome, result.failure_reason) == ("error", "INFRA")
    assert "disappeared from the engine (removed from outside?)" in result.detail
    assert "No such container" in result.detail
    assert not any(check.name == "completes" for check in result.checks)  # nothing blamed on the example


def test_an_image_removed_from_outside_before_a_comparison_is_an_infrastructure_fault(docker_client, labels):
    scenario = example(
        images={"a": {"dockerfile": "Dockerfile"}, "b": {"dockerfile": "Dockerfile"}},
        files={"Dockerfile": 'FROM busybox:1.35\nCMD ["true"]\n'},
        steps=[{"build": {"image": "a"}}, {"build": {"image": "b"}}],
        compare=[{"images": ["a", "b"], "expect": {"size_ratio_max": 2}}],
    )
    hook = remove_from_outside(docker_client, labels, "images")
    result, _ = run(docker_client, labels, scenario, also=hook, analyse=False)
    assert (result.outcome, result.failure_reason) == ("error", "INFRA")
    assert "removed from outside?" in result.detail


def test_a_base_copy_removed_just_before_its_build_is_an_infrastructure_fault(docker_client, labels):
    """Removed between the run's check and the builder's FROM, the builder looks for it in a registry."""
    scenario = example(
        files={"Dockerfile": 'FROM busybox:1.35\nCMD ["true"]\n'}, steps=[{"build": {"image": "app"}}]
    )
    removed = []

    def remove_the_copy(line: str) -> None:
        if "build app from Dockerfile" in line and not removed:
            for image in docker_client.images.list(filters=label_filters(labels)):
                docker_client.images.remove(image.id, force=True)
                removed.append(image.id)

    result, _ = run(docker_client, labels, scenario, also=remove_the_copy, analyse=False)
    assert removed, "the hook never saw the build start"
    assert (result.outcome, result.failure_reason) == ("error", "INFRA"), result.detail
    assert "this run's copy of busybox:1.35 disappeared" in result.detail


class EngineThatErrsOnImages:
    """Fakes an engine under load: image listing times out, or a removal races another (500).

    Neither can be provoked on demand on a real engine; everything else is not faked.
    """

    def __init__(self, error: Exception):
        self.error = error
        self.images = self

    def list(self, **kwargs):
        raise self.error


@pytest.mark.parametrize(
    "error",
    [
        requests.exceptions.ReadTimeout("UnixHTTPConnectionPool: Read timed out. (read timeout=120)"),
        docker.errors.APIError("500 Server Error: unrecognized image ID sha256:0123"),
    ],
    ids=["read-timeout", "unrecognized-image"],
)
def test_image_clean_up_never_raises_and_says_what_it_left(error):
    left = try_remove_images(EngineThatErrsOnImages(error), {"catalog.verification": "1"})
    assert left.startswith("images left to the reaper (") and str(error) in left
