"""One claimed attempt: run on the real engine, recorded on its row, every write fenced on the attempt."""

import pytest

from catalog.content.importer import sync_patterns
from catalog.models import Example, ImageLayers, Verification
from tests import factories
from worker.verification_run import (
    SUPERSEDED,
    record_result,
    record_timeout,
    run_attempt,
    wait_after_fault,
    wait_for_engine,
)

pytestmark = pytest.mark.django_db(transaction=True)  # the attempt's heartbeat writes from its own thread

FAILING = 'FROM busybox:1.35\nRUN echo "about to fail" && exit 3\nCMD ["true"]\n'
FIELDS = {"state": "failed", "reason": "CHECK_FAILED", "detail": "1 of 2 checks failed", "duration": 1.5}


def queued(root, **pattern) -> Verification:
    factories.write_bases(root)
    factories.write_pattern(root, "only", symbol="On", **pattern)
    assert sync_patterns(root).ok
    example = Example.objects.get()
    return Verification.objects.create(example=example, example_hash=example.content_hash)


@pytest.fixture
def verification(tmp_path) -> Verification:
    return queued(tmp_path)


def extra_labels(labels: dict[str, str]) -> dict[str, str]:
    """The test's labels on what the run makes, but not its owner: the worker's own clean-up selects by it."""
    return {key: value for key, value in labels.items() if key != "catalog.owner"}


def claim(verification: Verification) -> int:
    attempt = Verification.claim(verification.pk, "test-worker")
    assert attempt is not None
    return attempt


@pytest.mark.docker
def test_a_claimed_attempt_runs_to_its_result_and_leaves_no_image(
    verification, docker_client, busybox, labels, settings
):
    settings.VERIFY_EXTRA_LABELS = extra_labels(labels)  # what the run makes goes with the test
    attempt = claim(verification)
    assert run_attempt(docker_client, verification.pk, attempt) == "passed"
    verification.refresh_from_db()
    assert (verification.state, verification.attempt, verification.failure_reason) == ("passed", attempt, "")
    assert verification.report.outcome == "passed" and verification.environment_hash
    (base,) = verification.report.environment.bases
    assert base.ref == "busybox:1.35" and base.layers and all(layer.size > 0 for layer in base.layers)
    assert list(verification.image_sizes) == ["app"] and "step 1/1: run app" in verification.log
    assert ImageLayers.objects.filter(verification=verification, image_name="app").exists()
    assert not docker_client.images.list(filters={"label": f"catalog.verification={verification.pk}"})


@pytest.mark.docker
def test_the_example_failing_is_a_result_not_a_wait(tmp_path, docker_client, busybox, labels, settings):
    settings.VERIFY_EXTRA_LABELS = extra_labels(labels)
    verification = queued(tmp_path, files={"Dockerfile": FAILING})
    assert run_attempt(docker_client, verification.pk, claim(verification)) == "failed"
    verification.refresh_from_db()
    assert (verification.state, verification.failure_reason) == ("failed", "BUILD_FAILED")
    assert "about to fail" in verification.log


def test_a_result_and_its_layer_details_are_stored_together_once(verification):
    attempt = claim(verification)
    layers = {"app": {"layers": []}, "unanalysed": {}}
    assert not record_result(verification.pk, attempt + 1, layers, **FIELDS)  # not the live attempt
    assert record_result(verification.pk, attempt, layers, **FIELDS)
    assert not record_result(verification.pk, attempt, layers, **FIELDS)  # finished: nothing twice
    assert list(ImageLayers.objects.values_list("image_name", flat=True)) == ["app"]
    verification.refresh_from_db()
    assert (verification.state, verification.detail) == ("failed", "1 of 2 checks failed")


def test_a_run_past_the_worker_limit_fails_the_example(verification, settings):
    attempt = claim(verification)
    assert record_timeout(verification.pk, attempt, 901.0) == "failed"
    verification.refresh_from_db()
    assert (verification.state, verification.failure_reason, verification.duration) == (
        "failed",
        "RUN_TIMEOUT",
        901.0,
    )
    assert f"limit of {settings.VERIFY_SOFT_TIME_LIMIT} s" in verification.detail


def test_a_fault_that_is_not_the_example_makes_the_attempt_wait(verification):
    attempt = claim(verification)
    assert wait_after_fault(verification.pk, attempt, "the engine went away") == "waiting"
    assert wait_after_fault(verification.pk, attempt, "again") == SUPERSEDED  # no longer claimed
    verification.refresh_from_db()
    assert (verification.state, verification.waits) == ("waiting", 1)
    assert verification.detail == "the engine went away"


def test_no_engine_makes_a_queued_row_wait_unclaimed(verification):
    assert wait_for_engine(verification.pk, RuntimeError("no socket")) == "waiting: no socket"
    verification.refresh_from_db()
    assert (verification.state, verification.attempt) == ("waiting", 0)
    assert verification.detail == "Waiting for the Docker engine: no socket"
    Verification.objects.filter(pk=verification.pk).update(state="passed")
    assert wait_for_engine(verification.pk, RuntimeError("no socket")) == "not waiting: not queued any more"
