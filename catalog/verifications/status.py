"""What the status page shows about the machinery: workers seen recently and the last reaper pass."""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

from worker.contract.codec import ContractError, from_json
from worker.contract.engine import EngineReport
from worker.sandbox_engine import SANDBOX_WORKER

log = logging.getLogger(__name__)

# A worker beats every 30 s; one silent this long is shown as gone.
STALE_WORKER = timedelta(minutes=2)


class ServiceBeat(models.Model):
    """The last sign of life of one worker (or of the reaper), upserted by name."""

    class Role(models.TextChoices):
        WORKER = "worker", "Worker"
        REAPER = "reaper", "Reaper"

    name = models.CharField(max_length=200, unique=True)
    role = models.CharField(max_length=10, choices=Role.choices)
    seen_at = models.DateTimeField(default=timezone.now)
    info = models.JSONField(default=dict)

    class Meta:
        ordering = ["role", "-seen_at"]

    def __str__(self) -> str:
        return f"{self.role} {self.name}"

    @classmethod
    def beat(cls, name: str, role: str, **info) -> None:
        cls.objects.update_or_create(
            name=name, defaults={"role": role, "seen_at": timezone.now(), "info": info}
        )


def worker_has_reported() -> bool:
    """Whether a worker has ever beaten against this database: then work queued here gets done
    (at once, or when it starts again); without one, queued rows would only wait."""
    return ServiceBeat.objects.filter(role=ServiceBeat.Role.WORKER).exists()


@dataclass(frozen=True)
class EngineState:
    """The newest live worker's report of its Docker engine, and who made it when."""

    worker: str
    seen_at: datetime
    report: EngineReport


def latest_engine_state() -> EngineState | None:
    """The newest live worker's report of its engine; None when no worker has beaten lately.

    The site never calls Docker: the worker asks its engine with every beat, and this is
    what the setup notice and /status/ read.
    """
    cutoff = timezone.now() - STALE_WORKER
    workers = ServiceBeat.objects.filter(role=ServiceBeat.Role.WORKER)
    # The sandbox worker reports the gVisor engine of submissions, not the catalog's (sandbox_engine.py).
    beat = workers.exclude(name__startswith=SANDBOX_WORKER).order_by("-seen_at").first()
    if beat is None or beat.seen_at < cutoff or not isinstance(beat.info, dict) or "engine" not in beat.info:
        return None
    try:
        report = from_json(EngineReport, beat.info["engine"], "engine report")
    except ContractError:
        log.exception("worker %s reported its engine in a shape this site does not read", beat.name)
        return None
    return EngineState(worker=beat.name, seen_at=beat.seen_at, report=report)
