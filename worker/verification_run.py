"""One claimed verification attempt: its row read, its scenario run on the engine, its result recorded.

Celery and Django glue, called by worker/tasks.py: rows change only through the model's
methods, each fenced on the attempt, so a newer attempt's row is never touched.
"""

import logging
import time
from collections.abc import Mapping

import docker
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, connection, transaction

from catalog.models import ImageLayers, Verification
from catalog.serving import page_cache
from worker.contract import labels
from worker.contract.report import VerificationReport
from worker.contract.results import ScenarioResult
from worker.engine.environment import environment_fingerprint, with_download_sizes
from worker.images.builder import try_remove_images
from worker.progress import Progress
from worker.runner import CommandsSetup, run_scenario
from worker.scenario import Scenario

log = logging.getLogger(__name__)
# How long a finished attempt keeps its result while the database is away, before giving up.
RECORD_PATIENCE_SECONDS = 300
SUPERSEDED = "superseded: a newer attempt owns the row"


def run_attempt(client: docker.DockerClient, verification_id: int, attempt: int) -> str:
    """Run one claimed attempt to its end and record the result, fenced on the attempt."""
    verification = Verification.objects.select_related("example").get(pk=verification_id)
    scenario = Scenario.from_dict(verification.example.scenario)
    files = verification.example.context_files()
    fingerprint, environment = environment_fingerprint(client, scenario, files)
    started = time.monotonic()
    try:
        result = run_with_progress(client, verification, attempt, scenario, files)
    except SoftTimeLimitExceeded:
        return record_timeout(verification_id, attempt, time.monotonic() - started)
    remove_run_images(client, verification_id)
    if result.outcome not in (Verification.State.PASSED, Verification.State.FAILED):
        cause = f"Not the example's fault, will retry: {result.detail}"
        return wait_after_fault(verification_id, attempt, cause)
    environment = with_download_sizes(client, environment, settings.VAR_DIR / "base-downloads")
    return record_finished(verification_id, attempt, result, fingerprint, environment)


def run_with_progress(
    client: docker.DockerClient,
    verification: Verification,
    attempt: int,
    scenario: Scenario,
    files: Mapping[str, tuple[bytes, bool]],
) -> ScenarioResult:
    """The scenario on the engine, its live log and its lease kept on the row while it runs."""
    progress = Progress(verification.pk, attempt)
    try:
        Verification.mark_running(verification.pk, attempt)
        return run_scenario(
            client,
            scenario,
            files,
            run_labels(verification, attempt),
            trust=verification.trust,
            allow_host_access=settings.VERIFY_ALLOW_HOST_ACCESS,
            on_event=progress.add,
            nocache=verification.cold,
            analyse=settings.VERIFY_ANALYSE_LAYERS,
            base_cache=settings.VAR_DIR / "base-configs",
            commands=CommandsSetup(
                folder_name=verification.example.slug, min_free_bytes=settings.VERIFY_MIN_FREE_MB * 2**20
            ),
        )
    finally:
        progress.stop()


def run_labels(verification: Verification, attempt: int) -> dict[str, str]:
    """What marks everything the attempt makes on the engine: its cleanup and the reaper find it so."""
    return {
        **instance_labels(),
        labels.VERIFICATION: str(verification.pk),
        labels.ATTEMPT: str(attempt),
        labels.EXAMPLE: str(verification.example),
        **settings.VERIFY_EXTRA_LABELS,
    }


def instance_labels() -> dict[str, str]:
    """What marks the Docker objects of this catalog's worker (reaper and clean-up select by it)."""
    return {labels.OWNER: "worker", labels.INSTANCE: settings.CATALOG_INSTANCE}


def remove_run_images(client: docker.DockerClient, verification_id: int) -> None:
    """The images go before the row says finished, so that a finished verification has left nothing.

    The result holds the images' facts and layers; the images themselves would only feed the
    next verification's build cache, and "proven today" means built today, not taken from it.
    """
    left = try_remove_images(client, {labels.VERIFICATION: str(verification_id), **instance_labels()})
    if left:
        log.warning("verification %s: %s", verification_id, left)


def record_finished(
    verification_id: int, attempt: int, result: ScenarioResult, fingerprint: str, environment: dict
) -> str:
    """Store a passed or failed attempt's report; the state it recorded, or why it did not."""
    # The fault suite counts these lines: an example's scenario must run to its end once per result.
    log.info("verification %s attempt %s ran to its end: %s", verification_id, attempt, result.outcome)
    recorded = record_result(
        verification_id,
        attempt,
        result.layer_details,
        state=result.outcome,
        reason=result.failure_reason,
        detail=result.detail,
        result=VerificationReport.of_run(result, environment).to_json(),
        duration=result.duration,
        image_sizes={name: facts.size for name, facts in result.images.items()},
        environment_hash=fingerprint,
        log=result.log,
    )
    page_cache.bump_generation()
    return result.outcome if recorded else SUPERSEDED


def record_result(verification_id: int, attempt: int, layer_details: dict, **fields) -> bool:
    """Store a finished attempt's result, waiting out a database that is away for a while.

    The scenario has already run to its end: giving up on a short database outage would throw
    that work away and run the example a second time. True when the row took the result.
    """
    deadline = time.monotonic() + RECORD_PATIENCE_SECONDS
    while True:
        try:
            with transaction.atomic():  # finished and its layer details appear together
                recorded = Verification.finish(verification_id, attempt, **fields)
                if recorded:
                    ImageLayers.objects.bulk_create(
                        [
                            ImageLayers(verification_id=verification_id, image_name=name, analysis=full)
                            for name, full in layer_details.items()
                            if full
                        ],
                        ignore_conflicts=True,  # a retried finish of the same attempt stores nothing twice
                    )
            return recorded
        except DatabaseError as error:
            connection.close()  # a broken connection is not reused; the next try opens a new one
            if time.monotonic() > deadline:
                raise
            log.warning("verification %s: database unavailable, result kept until it is back: %s",
                        verification_id, error)  # fmt: skip
            time.sleep(1)


def record_timeout(verification_id: int, attempt: int, duration: float) -> str:
    Verification.finish(
        verification_id,
        attempt,
        state=Verification.State.FAILED,
        reason=Verification.Reason.RUN_TIMEOUT,
        detail=f"The scenario ran past the worker's limit of {settings.VERIFY_SOFT_TIME_LIMIT} s.",
        duration=duration,
    )
    page_cache.bump_generation()
    return Verification.State.FAILED


def wait_for_engine(verification_id: int, error: Exception) -> str:
    """No engine, or no room on its disk: the row waits, unclaimed and unblamed, and is woken again."""
    waited = Verification.wait(verification_id, f"Waiting for the Docker engine: {error}")
    if waited:
        page_cache.bump_generation()
    return f"waiting: {error}" if waited else "not waiting: not queued any more"


def wait_after_fault(verification_id: int, attempt: int, cause: str) -> str:
    """A fault that is not the example's: the row waits for a retry, its page says why."""
    if not Verification.release(verification_id, attempt, cause):
        return SUPERSEDED
    page_cache.bump_generation()
    return "waiting"
