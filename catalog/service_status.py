"""What the status page shows about the machinery: workers seen recently and the last reaper pass."""

from datetime import timedelta

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
