"""What the status page shows about the machinery: workers seen recently and the last reaper pass."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import models
from django.utils import timezone

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
    """What a worker last reported of its Docker engine (worker/engine_check.engine_report writes it)."""

    worker: str
    seen_at: datetime
    ok: bool
    problem: str
    fix: str
    version: str  # empty when the engine did not answer
    api_version: str
    os: str
    arch: str

    @property
    def answers(self) -> bool:
        return bool(self.version)


def latest_engine_state() -> EngineState | None:
    """The newest live worker's report of its engine; None when no worker has beaten lately.

    The site never calls Docker: the worker asks its engine with every beat, and this is
    what the setup notice and /status/ read.
    """
    cutoff = timezone.now() - STALE_WORKER
    beat = ServiceBeat.objects.filter(role=ServiceBeat.Role.WORKER).order_by("-seen_at").first()
    if beat is None or beat.seen_at < cutoff:
        return None
    report = beat.info.get("engine") if isinstance(beat.info, dict) else None
    if not isinstance(report, dict):
        return None
    # The keys a report has depend on how far the check got (no version when the engine did not
    # answer), and a worker of an older version reports fewer: each is optional here.
    return EngineState(
        worker=beat.name,
        seen_at=beat.seen_at,
        ok=bool(report.get("ok", True)),
        problem=str(report.get("problem", "")),
        fix=str(report.get("fix", "")),
        version=str(report.get("version", "")),
        api_version=str(report.get("api_version", "")),
        os=str(report.get("os", "")),
        arch=str(report.get("arch", "")),
    )
