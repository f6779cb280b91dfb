"""Celery tasks: thin adapters between Verification rows and the engine modules.

This is the one module that imports both the Django models and the engine.
A message only wakes a worker up: the claim decides whether there is work.
"""

import logging
import os
import socket
import threading
import time

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import DatabaseError, close_old_connections, connection, transaction

from catalog import page_cache
from catalog.models import Example, ImageLayers, ServiceBeat, Verification
from worker.builder import try_remove_images
from worker.contract import labels
from worker.contract.report import VerificationReport
from worker.disk_space import ensure_free_space
from worker.engine import EngineUnavailable, connect
from worker.environment import environment_fingerprint
from worker.reaping import reap
from worker.runner import run_scenario
from worker.scenario import Scenario

log = logging.getLogger(__name__)
LOG_FLUSH_SECONDS = 1.0
# How long a finished attempt keeps its result while the database is away, before giving up.
RECORD_PATIENCE_SECONDS = 300


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@shared_task(name="catalog.verify")
def verify_example(verification_id: int) -> str:
    try:
        client = connect()
        ensure_free_space(client, settings.VERIFY_MIN_FREE_MB * 2**20)
    except EngineUnavailable as error:
        # Never claim without an engine (or room on its disk): the row waits and is woken again.
        waited = Verification.wait(verification_id, f"Waiting for the Docker engine: {error}")
        if waited:
            page_cache.bump_generation()
        return f"waiting: {error}" if waited else "not waiting: not queued any more"
    attempt = Verification.claim(verification_id, worker_name())
    if attempt is None:
        return "not claimed: finished, waiting, or running elsewhere"
    try:
        return execute(client, verification_id, attempt)
    except EngineUnavailable as error:
        return wait_after_fault(verification_id, attempt, f"The Docker engine failed during the run: {error}")


def wait_after_fault(verification_id: int, attempt: int, cause: str) -> str:
    """A fault that is not the example's: the row waits for a retry, its page says why."""
    if not Verification.release(verification_id, attempt, cause):
        return "superseded: a newer attempt owns the row"
    page_cache.bump_generation()
    return "waiting"


def execute(client, verification_id: int, attempt: int) -> str:
    """Run one claimed attempt to its end and record the result, fenced on the attempt."""
    verification = Verification.objects.select_related("example").get(pk=verification_id)
    example = verification.example
    files = example.context_files()
    run_labels = {
        **instance_labels(),
        labels.VERIFICATION: str(verification_id),
        labels.ATTEMPT: str(attempt),
        labels.EXAMPLE: str(example),
        **settings.VERIFY_EXTRA_LABELS,
    }
    scenario = Scenario.from_dict(example.scenario)
    fingerprint, environment = environment_fingerprint(client, scenario, files)
    progress = Progress(verification_id, attempt)
    started = time.monotonic()
    try:
        Verification.mark_running(verification_id, attempt)
        result = run_scenario(
            client,
            scenario,
            files,
            run_labels,
            trust=verification.trust,
            allow_host_access=settings.VERIFY_ALLOW_HOST_ACCESS,
            on_event=progress.add,
            analyse=settings.VERIFY_ANALYSE_LAYERS,
            base_cache=settings.VAR_DIR / "base-configs",
        )
    except SoftTimeLimitExceeded:
        return record_timeout(verification_id, attempt, time.monotonic() - started)
    finally:
        progress.stop()
    # The result holds the images' facts and layers; the images themselves would only feed the
    # next verification's build cache, and "proven today" means built today, not taken from it.
    # They go before the row says finished, so that a finished verification has left nothing.
    left = try_remove_images(client, {labels.VERIFICATION: str(verification_id), **instance_labels()})
    if left:
        log.warning("verification %s: %s", verification_id, left)
    if result.outcome not in (Verification.State.PASSED, Verification.State.FAILED):
        return wait_after_fault(
            verification_id, attempt, f"Not the example's fault, will retry: {result.detail}"
        )
    # The fault suite counts these lines: an example's scenario must run to its end once per result.
    log.info("verification %s attempt %s ran to its end: %s", verification_id, attempt, result.outcome)
    report = VerificationReport.of_run(result, environment)
    state = result.outcome
    recorded = record_result(
        verification_id,
        attempt,
        result.layer_details,
        state=state,
        reason=result.failure_reason,
        detail=result.detail,
        result=report.to_json(),
        duration=result.duration,
        image_sizes={name: facts.size for name, facts in result.images.items()},
        environment_hash=fingerprint,
        log=result.log,
    )
    page_cache.bump_generation()
    return state if recorded else "superseded: a newer attempt owns the row"


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


def instance_labels() -> dict[str, str]:
    """What marks the Docker objects of this catalog's worker (reaper and clean-up select by it)."""
    return {labels.OWNER: "worker", labels.INSTANCE: settings.CATALOG_INSTANCE}


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


class Progress:
    """Collects live log lines and keeps the lease alive from a background thread.

    When the lease is lost the next event raises, so the runner stops and its
    `finally` removes what it started; the newer attempt owns the row now.
    """

    def __init__(self, verification_id: int, attempt: int):
        self.verification_id, self.attempt = verification_id, attempt
        self.lines: list[str] = []
        self.lock = threading.Lock()
        self.lost = threading.Event()
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._beat, daemon=True, name="verification-heartbeat")
        self.thread.start()

    def add(self, line: str) -> None:
        if self.lost.is_set():
            raise LeaseLost(f"verification {self.verification_id} attempt {self.attempt} was taken over")
        with self.lock:
            self.lines.append(line.rstrip("\n") + "\n")

    def _beat(self) -> None:
        renewed = time.monotonic()
        try:
            while not self.done.wait(LOG_FLUSH_SECONDS):
                if self._quietly(self._flush) is False:
                    self.lost.set()
                    return
                if time.monotonic() - renewed < settings.VERIFY_LEASE_SECONDS / 4:
                    continue
                owned = self._quietly(lambda: Verification.heartbeat(self.verification_id, self.attempt))
                if owned is False:
                    self.lost.set()
                    return
                if owned:  # None: the database is away; renew again at the next tick
                    renewed = time.monotonic()
            self._quietly(self._flush)
        finally:
            connection.close()

    @staticmethod
    def _quietly(work):
        """A database away for a moment must not end the heartbeat: try again at the next tick.

        Returns what `work` returned, or None when the database failed; the lease is only
        lost when the database answers that another attempt owns the row.
        """
        try:
            return work()
        except DatabaseError as error:
            log.warning("verification heartbeat: database unavailable, trying again: %s", error)
            connection.close()
            return None

    def _flush(self) -> bool:
        with self.lock:
            text, self.lines = "".join(self.lines), []
        try:
            return not text or Verification.append_log(self.verification_id, self.attempt, text)
        except DatabaseError:
            with self.lock:  # kept for the next flush, in order
                self.lines.insert(0, text)
            raise

    def stop(self) -> None:
        self.done.set()
        self.thread.join(timeout=10)


class LeaseLost(RuntimeError):
    """This attempt no longer owns its verification."""


@shared_task(name="catalog.reap")
def reap_orphans() -> dict:
    """Expired leases wait for a retry, stale queued rows are woken, unowned Docker resources go."""
    close_old_connections()
    requeued = Verification.requeue_expired()
    stale = Verification.objects.stale(settings.VERIFY_STALE_QUEUED_SECONDS)
    for pk in stale:
        verify_example.delay(pk)
    report = {"requeued": len(requeued), "woken": len(stale)}
    try:
        client = connect()
    except EngineUnavailable as error:
        report["engine"] = f"unreachable: {error}"
    else:
        live = Verification.objects.active().exclude(attempt=0).values_list("pk", "attempt")
        removed = reap(client, live, instance=settings.CATALOG_INSTANCE)
        report.update(removed=removed.total, engine="ok")
    ServiceBeat.beat("reaper", ServiceBeat.Role.REAPER, **report)
    if requeued:
        page_cache.bump_generation()  # pages showing those runs as running are out of date
    if report.get("removed") or requeued:
        log.info("reaper: %s", report)
    return report


@shared_task(name="catalog.wake_waiting")
def wake_waiting() -> int:
    """Queue again the verifications whose back-off after a fault has run out."""
    close_old_connections()
    return len(wake_waiting_verifications(due_only=True))


def wake_waiting_verifications(*, due_only: bool) -> list[int]:
    """Move waiting rows back to the queue and send each its wake-up call (after commit)."""
    woken = Verification.wake(due_only=due_only)
    for pk in woken:
        verify_example.delay_on_commit(pk)
    if woken:
        page_cache.bump_generation()
    return woken


def queue_unverified() -> int:
    """Queue every example that has never been verified (what `make run` does on start)."""
    from catalog.queueing import request_verification

    examples = Example.objects.filter(pattern__published=True, verifications__isnull=True)
    return sum(request_verification(example)[1] for example in examples)
