"""The reaper's sweep of the engine, and its report: what the reap_orphans task does besides the rows.

Celery and Django glue: it reads which attempts are live from the database and hands
them to worker/engine/reaping.py, which removes on the engine what none of them owns.
"""

import logging

from django.conf import settings

from catalog.models import ServiceBeat, Verification
from catalog.serving import page_cache
from worker.engine.client import EngineUnavailable, connect
from worker.engine.reaping import reap

log = logging.getLogger(__name__)


def sweep_engine() -> dict:
    """Remove this catalog's Docker objects that no live attempt owns; what the reaper's beat says of it."""
    try:
        client = connect()
    except EngineUnavailable as error:
        return {"engine": f"unreachable: {error}"}
    live = Verification.objects.active().exclude(attempt=0).values_list("pk", "attempt")
    removed = reap(client, live, instance=settings.CATALOG_INSTANCE)
    return {"removed": removed.total, "engine": "ok"}


def record_sweep(report: dict, *, requeued: bool) -> None:
    """The reaper's heartbeat row (the status page reads it), and the log line when it did something."""
    ServiceBeat.beat("reaper", ServiceBeat.Role.REAPER, **report)
    if requeued:
        page_cache.bump_generation()  # pages showing those runs as running are out of date
    if report.get("removed") or requeued:
        log.info("reaper: %s", report)
