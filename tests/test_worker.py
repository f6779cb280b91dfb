"""Verification end to end: a real Celery worker on Redis, the real engine, the real database."""

import json
import subprocess
import time

import pytest
from django.core.management import call_command

from catalog.content.importer import sync_patterns
from catalog.models import Example, Verification
from catalog.verifications.queueing import request_verification
from tests import factories
from tests.conftest import RUN_ID
from tests.worker_process import WorkerProcess
from worker.contract.quantities import format_size
from worker.images.builder import remove_images
from worker.tasks import verify_example

pytestmark = [pytest.mark.docker, pytest.mark.redis, pytest.mark.django_db(transaction=True)]

FAILING = 'FROM busybox:1.35\nRUN echo "about to fail" && exit 3\nCMD ["true"]\n'
CLI = {"capture_output": True, "text": True, "timeout": 30}
SLOW_BUILD = 'FROM busybox:1.35\nRUN sleep 12\nCMD ["echo", "slow build done"]\n'


@pytest.fixture
def workers(tmp_path, broker, docker_client):
    started = []

    def start(**kwargs) -> WorkerProcess:
        worker = WorkerProcess(tmp_path, **kwargs)
        started.append(worker)
        worker.wait_for_log("ready.")
        return worker

    yield start
    for worker in started:
        worker.stop()
    remove_images(docker_client, {"catalog.test-run": RUN_ID})


@pytest.fixture
def catalog(tmp_path):
    """A small catalog: a passing example, a failing build, a run that never ends, a slow build."""
    root = tmp_path / "patterns"
    factories.write_bases(root)
    factories.write_pattern(root, "passes", symbol="Pa")
    # Passes too, and keeps its image for a few seconds, long enough for the docker CLI to read it.
    lingering = factories.scenario(
        steps=[
            *factories.scenario()["steps"],
            {"run": {"image": "app", "entrypoint": ["sleep", "4"]}, "expect": {"exit_code": 0}},
        ]
    )
    factories.write_pattern(root, "lingers", symbol="Li", example=lingering)
    factories.write_pattern(root, "fails", symbol="Fa", files={"Dockerfile": FAILING})
    endless = factories.scenario(
        steps=[
            {
                "run": {"image": "app", "entrypoint": ["sleep", "3600"], "timeout": "3s"},
                "expect": {"exit_code": 0, "duration_max": "3s"},
            }
        ]
    )
    factories.write_pattern(root, "endless", symbol="En", example=endless)
    slow = factories.scenario(
        steps=[{"run": {"image": "app"}, "expect": {"exit_code": 0, "output_contains": "slow build done"}}]
    )
    factories.write_pattern(root, "slow", symbol="Sl", example=slow, files={"Dockerfile": SLOW_BUILD})
    assert sync_patterns(root).ok
    return root


def example(slug: str) -> Example:
    return Example.objects.get(pattern__slug=slug)


def wait_until_finished(
    verification: Verification, worker: WorkerProcess, timeout: float = 90
) -> Verification:
    deadline = time.monotonic() + timeout
    while True:
        verification.refresh_from_db()
        if not verification.is_active:
            return verification
        if time.monotonic() > deadline:
            raise AssertionError(f"still {verification.state} after {timeout} s:\n{worker.log()[-4000:]}")
        time.sleep(0.3)


def leftovers(docker_client, verification: Verification) -> list[str]:
    selector = {"label": f"catalog.verification={verification.pk}"}
    found = [c.name for c in docker_client.containers.list(all=True, filters=selector)]
    found += [v.name for v in docker_client.volumes.list(filters=selector)]
    return found + [n.name for n in docker_client.networks.list(filters=selector)]


def read_with_the_cli(verification_id: int, timeout: float = 60) -> tuple[dict, list[int]]:
    """`docker image inspect` and `docker history` of the run's image, while the run still has it."""
    deadline = time.monotonic() + timeout
    selector = f"label=catalog.verification={verification_id}"
    built = "reference=catalog-verify/*:app"  # the image, not the run's copy of its base
    while time.monotonic() < deadline:
        listing = ["docker", "image", "ls", "-q", "--no-trunc", "--filter", selector, "--filter", built]
        found = subprocess.run(listing, **CLI)
        if found.stdout.split():
            image = found.stdout.split()[0]
            inspect = subprocess.run(["docker", "image", "inspect", image], check=True, **CLI)
            sizes = ["docker", "history", "--human=false", "--no-trunc", "--format", "{{.Size}}", image]
            history = subprocess.run(sizes, check=True, **CLI)
            return json.loads(inspect.stdout)[0], [int(size) for size in history.stdout.split()]
        time.sleep(0.05)
    raise AssertionError(f"no image of verification {verification_id} within {timeout} s")


def test_a_passing_example_is_verified_with_sizes_and_history(catalog, workers, docker_client, client):
    worker = workers()
    verification, created = request_verification(example("lingers"))
    assert created
    # Read the same image independently of the runner, with the docker CLI, while the run keeps it.
    inspect, history_sizes = read_with_the_cli(verification.pk)
    verification = wait_until_finished(verification, worker)
    assert (verification.state, verification.attempt) == ("passed", 1), verification.detail
    checks = verification.result["checks"]
    assert {check["name"] for check in checks} == {"exit_code", "output_contains"}
    assert all(check["passed"] for check in checks)
    facts = verification.result["images"]["app"]
    assert facts["id"] == inspect["Id"] and facts["size"] == inspect["Size"] > 0
    assert [row["size"] for row in reversed(facts["history"])] == history_sizes
    assert "LABEL catalog." in facts["history"][-1]["instruction"]  # all labels, one step
    page = client.get("/patterns/lingers/").content.decode()
    assert format_size(inspect["Size"]) in page
    # The result keeps the facts; the image itself is gone, so the next run builds from the base.
    inspect = subprocess.run(["docker", "image", "inspect", facts["id"]], capture_output=True, text=True)
    assert inspect.returncode == 1 and "No such image" in inspect.stderr
    assert verification.environment_hash and verification.result["environment"]["bases"][0]["id"]
    assert "hello from the example" in verification.log
    assert leftovers(docker_client, verification) == []
    api = client.get("/api/patterns/lingers.json").json()
    assert api["examples"][0]["verification"]["state"] == "passed"


def test_a_failing_run_step_fails_the_example_with_its_line(catalog, workers):
    worker = workers()
    verification = wait_until_finished(request_verification(example("fails"))[0], worker)
    assert (verification.state, verification.failure_reason) == ("failed", "BUILD_FAILED")
    build = verification.result["builds"][0]
    assert build["exit_code"] == 3
    assert "exit 3" in build["failed_instruction"]
    assert "about to fail" in verification.log


def test_a_run_that_never_ends_times_out_and_leaves_nothing(catalog, workers, docker_client):
    worker = workers()
    verification = wait_until_finished(request_verification(example("endless"))[0], worker)
    assert (verification.state, verification.failure_reason) == ("failed", "RUN_TIMEOUT")
    assert leftovers(docker_client, verification) == []


def test_killing_the_worker_mid_build_is_recovered_by_a_new_attempt(catalog, workers, docker_client):
    fast = {"VERIFY_LEASE_SECONDS": "4", "REAPER_INTERVAL": "1"}
    first = workers(**fast)
    verification, _ = request_verification(example("slow"))
    deadline = time.monotonic() + 60
    while "RUN sleep 12" not in Verification.objects.get(pk=verification.pk).log:
        assert time.monotonic() < deadline, first.log()[-3000:]
        time.sleep(0.2)
    first.kill()
    second = workers(beat=True, **fast)
    verification = wait_until_finished(verification, second, timeout=120)
    assert (verification.state, verification.attempt) == ("passed", 2), second.log()[-3000:]
    assert leftovers(docker_client, verification) == []


def test_the_same_message_twice_runs_once(catalog, workers):
    worker = workers()
    verification, _ = request_verification(example("passes"))
    verify_example.delay(verification.pk)  # a duplicate delivery of the same wake-up
    verification = wait_until_finished(verification, worker)
    worker.wait_for_log("not claimed")
    assert (verification.state, verification.attempt) == ("passed", 1)
    assert worker.log().count("succeeded") == 2


def test_an_unreachable_engine_is_never_blamed_on_the_example(catalog, workers):
    broken = workers(DOCKER_HOST="unix:///nonexistent/docker.sock")
    verification, _ = request_verification(example("passes"))
    broken.wait_for_log("'waiting: the Docker engine is unreachable", timeout=30)
    verification.refresh_from_db()
    assert (verification.state, verification.attempt, verification.failure_reason) == ("waiting", 0, "")
    assert "Waiting for the Docker engine" in verification.detail
    broken.stop()
    healthy = workers()  # a starting worker wakes what waits, without waiting out the back-off
    verification = wait_until_finished(verification, healthy)
    assert (verification.state, verification.attempt) == ("passed", 1)


def test_verify_again_rebuilds_nothing_and_an_edit_reverifies_only_that_example(catalog, workers, capsys):
    worker = workers()
    call_command("verify", "passes", "fails")
    assert "queued 2, up to date 0" in capsys.readouterr().out
    for slug in ("passes", "fails"):
        wait_until_finished(example(slug).verifications.first(), worker)
    call_command("verify", "passes", "fails")
    assert "queued 1, up to date 1" in capsys.readouterr().out  # only the failed one is retried
    wait_until_finished(example("fails").verifications.first(), worker)
    before = Verification.objects.count()
    call_command("verify", "passes")
    assert "queued 0, up to date 1" in capsys.readouterr().out
    assert Verification.objects.count() == before
    (catalog / "passes/examples/hello/hello.sh").write_text("#!/bin/sh\necho hello from the edited example\n")
    report = sync_patterns(catalog)
    assert (report.updated, report.queued) == (1, 1)  # with a worker about, the sync queues the edit
    call_command("verify", "passes")
    assert "queued 0, up to date 1" in capsys.readouterr().out  # joined (or already passed)
    verification = wait_until_finished(example("passes").verifications.first(), worker)
    assert verification.state == "passed" and "edited" in verification.log
