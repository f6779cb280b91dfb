"""Worker start-up: wake waiting runs, queue never-verified examples, and beat (with its engine's state)."""

import logging
import os
import socket
import threading

from celery.signals import worker_ready, worker_shutdown
from django.conf import settings
from django.db import connection

from catalog.models import ServiceBeat
from catalog.serving import page_cache
from catalog.verifications.queueing import queue_unverified
from worker.contract.codec import to_json
from worker.contract.engine import EngineReport
from worker.engine.check import engine_report
from worker.tasks import wake_waiting_verifications

log = logging.getLogger(__name__)
BEAT_SECONDS = 30
_stopping = threading.Event()


@worker_ready.connect
def on_worker_ready(sender=None, **kwargs) -> None:
    name = getattr(sender, "hostname", None) or f"{socket.gethostname()}:{os.getpid()}"
    threading.Thread(target=_beat, args=(name,), daemon=True, name="worker-beat").start()
    # Whatever waited for a fault (no engine, no base image) gets its chance now, not at its back-off.
    woken = wake_waiting_verifications(due_only=False)
    if woken:
        log.info("woke %d verification(s) that were waiting out a fault", len(woken))
    if settings.VERIFY_ON_START:
        queued = queue_unverified()
        log.info("queued %d example(s) that were never verified", queued)


@worker_shutdown.connect
def on_worker_shutdown(**kwargs) -> None:
    _stopping.set()


def _beat(name: str) -> None:
    """Upsert this worker's heartbeat row, with what it sees of its engine, until shutdown.

    The status page and every page's set-up notice read it (the site never calls Docker). When
    the engine's state changes, cached pages go stale; when it becomes usable, waiting runs go now.
    """
    last: EngineReport | None = None
    try:
        while True:
            try:
                engine = engine_report(settings.PATTERNS_DIR / "bases.yaml")
                ServiceBeat.beat(name, ServiceBeat.Role.WORKER, pid=os.getpid(), engine=to_json(engine))
                if last is None or engine.problem != last.problem:
                    page_cache.bump_generation()
                if last is not None and engine.ok and not last.ok:
                    wake_waiting_verifications(due_only=False)
                last = engine
            except Exception:  # the database may be briefly away; the next beat tries again
                # (the thread must outlive any one failure: /status/ and the notice read its beats)
                log.exception("could not record the worker heartbeat")
            if _stopping.wait(BEAT_SECONDS):
                return
    finally:
        connection.close()
