"""The reaper's sweep: the engine's leftovers of attempts no longer live, and the reaper's heartbeat row."""

import pytest

from catalog.models import ServiceBeat
from worker.contract import labels
from worker.sweep import record_sweep, sweep_engine

pytestmark = pytest.mark.django_db


@pytest.mark.docker
def test_the_sweep_removes_what_no_live_attempt_owns(docker_client, busybox, docker_labels, settings):
    settings.CATALOG_INSTANCE = f"sweep-{docker_labels['catalog.test-run']}"  # nothing else is this one's
    left = {
        **docker_labels,
        labels.OWNER: "worker",
        labels.INSTANCE: settings.CATALOG_INSTANCE,
        labels.VERIFICATION: "7",  # no such row: its attempt is not live
        labels.ATTEMPT: "1",
    }
    docker_client.containers.create("busybox:1.35", ["true"], labels=left, network_mode="none")
    assert sweep_engine() == {"removed": 1, "engine": "ok"}
    assert sweep_engine() == {"removed": 0, "engine": "ok"}


def test_an_unreachable_engine_is_reported_not_raised(monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent.sock")
    assert sweep_engine()["engine"].startswith("unreachable: ")


def test_the_reaper_beats_with_its_report():
    report = {"requeued": 1, "woken": 0, "removed": 0, "engine": "ok"}
    record_sweep(report, requeued=True)
    beat = ServiceBeat.objects.get(name="reaper")
    assert (beat.role, beat.info) == (ServiceBeat.Role.REAPER, report)
