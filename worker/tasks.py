"""Celery tasks: thin adapters between Verification rows and the engine modules.

A message only wakes a worker up: the claim decides whether there is work. What a task
then does lives in a plain module: worker/verification_run.py, worker/sweep.py.
"""

import os
import socket

from celery import shared_task
from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from catalog.models import CheckRoom, Verification
from catalog.serving import page_cache
from worker.engine.client import EngineUnavailable, connect
from worker.engine.disk_space import ensure_free_space
from worker.sweep import record_sweep, sweep_engine
from worker.verification_run import run_attempt, wait_after_fault, wait_for_engine


def worker_name() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


@shared_task(name="catalog.verify")
def verify_example(verification_id: int) -> str:
    try:
        client = connect()
        ensure_free_space(client, settings.VERIFY_MIN_FREE_MB * 2**20)
    except EngineUnavailable as error:
        # Never claim without an engine (or room on its disk): the row waits and is woken again.
        return wait_for_engine(verification_id, error)
    attempt = Verification.claim(verification_id, worker_name())
    if attempt is None:
        return "not claimed: finished, waiting, or running elsewhere"
    try:
        return run_attempt(client, verification_id, attempt)
    except EngineUnavailable as error:
        return wait_after_fault(verification_id, attempt, f"The Docker engine failed during the run: {error}")


@shared_task(name="catalog.reap")
def reap_orphans() -> dict:
    """Expired leases wait for a retry, stale queued rows are woken, unowned Docker resources go."""
    close_old_connections()
    requeued = Verification.requeue_expired()
    stale = Verification.objects.stale(settings.VERIFY_STALE_QUEUED_SECONDS)
    for pk in stale:
        verify_example.delay(pk)
    report = {"requeued": len(requeued), "woken": len(stale), **sweep_engine()}
    record_sweep(report, requeued=bool(requeued))
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


@shared_task(name="catalog.expire_readiness_checks")
def expire_readiness_checks() -> dict:
    """Readiness checks past READINESS_KEEP_DAYS go, with their attendees' reports."""
    close_old_connections()
    return CheckRoom.objects.delete_due(timezone.now())._asdict()
