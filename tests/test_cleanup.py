"""A run's clean-up removes its containers even while the engine is still ending them."""

import threading
import time

import pytest
from docker.errors import APIError, NotFound

from worker.engine.cleanup import remove_container, remove_labelled

pytestmark = pytest.mark.docker


def running(client, labels: dict, name: str):
    return client.containers.run(
        "busybox:1.35", ["sleep", "300"], name=name, labels=labels, network_mode="none", detach=True
    )


def test_a_removal_already_under_way_is_waited_for_not_reported(sandbox_client, docker_labels):
    """gVisor takes a moment to end a sandbox; a second removal meanwhile answers 409 (in progress)."""
    labels = {**docker_labels, "catalog.run": "cleanup-race"}
    problems, left = [], []
    for attempt in range(3):  # three races, so one where the first removal is still under way is likely
        container = running(sandbox_client, labels, f"cleanup-race-{attempt}")
        first = threading.Thread(target=container.remove, kwargs={"force": True})
        first.start()
        time.sleep(0.05)
        problems += remove_labelled(sandbox_client, {"catalog.run": "cleanup-race"})
        first.join(60)
        left += sandbox_client.containers.list(all=True, filters={"label": "catalog.run=cleanup-race"})
    assert problems == []
    assert left == []


class SlowRuntimeApi:
    """Fakes the engine's API for a container whose runtime needs `busy` more tries to end it (gVisor
    under load, which the suite cannot make slow on demand): each removal meanwhile answers 409."""

    def __init__(self, busy: int):
        self.busy, self.calls = busy, []

    def kill(self, container_id):
        self.calls.append("kill")

    def remove_container(self, container_id, **options):
        self.calls.append("remove")
        if self.busy:
            self.busy -= 1
            raise APIError("removal of container is already in progress", explanation="in progress")
        raise NotFound("no such container")


def test_the_container_is_killed_first_then_removed_until_it_is_gone(monkeypatch):
    monkeypatch.setattr("worker.engine.cleanup.REMOVAL_RETRY_INTERVAL", 0.01)
    api = SlowRuntimeApi(busy=3)
    remove_container(api, "c0ffee")
    assert api.calls == ["kill", "remove", "remove", "remove", "remove"]


def test_a_container_that_will_not_go_is_reported_after_the_bound(monkeypatch):
    monkeypatch.setattr("worker.engine.cleanup.REMOVAL_RETRY_INTERVAL", 0.01)
    began = time.monotonic()
    with pytest.raises(APIError, match="in progress"):
        remove_container(SlowRuntimeApi(busy=10**6), "c0ffee", within=0.3)
    assert time.monotonic() - began < 5
