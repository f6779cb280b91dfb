"""A readiness check of a workshop's room: a trainer opens it, attendees' check.sh send their reports to it.

The join link carries the room's token, its only key: anyone in the room may report, only the
trainer who opened it sees the reports. A room and its reports are deleted READINESS_KEEP_DAYS
after the workshop's date (after the room was opened when the workshop has none).
"""

import secrets
import shlex
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from catalog.workshops.check_report import Report, read_report
from catalog.workshops.models import Workshop

TOKEN_BYTES = 16  # 128 bits: not guessable, and 22 characters to type from the projector
KEEP_PER_TRAINER = 20  # opening one more deletes the trainer's oldest, with its reports
MAX_MACHINES = 500  # per room: a large room, and a bound on what one token can store


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def delete_at(event_date: date | None, opened_at: datetime, keep_days: int) -> datetime:
    """When a room goes: keep_days whole days after the event's day, or after it was opened."""
    if event_date is None:
        return opened_at + timedelta(days=keep_days)
    return datetime.combine(event_date + timedelta(days=keep_days + 1), time.min, tzinfo=UTC)


class Expired(NamedTuple):
    rooms: int
    reports: int


class CheckRoomQuerySet(models.QuerySet):
    def of(self, user, workshop: Workshop) -> models.QuerySet:
        return self.filter(trainer=user, workshop=workshop).order_by("-opened_at", "-pk")

    def open_for(self, workshop: Workshop, user) -> "CheckRoom":
        """The trainer's open room of this workshop, opened now if there is none (pressing twice is once)."""
        room, created = self.get_or_create(workshop=workshop, trainer=user, closed_at=None)
        if created:
            kept = self.filter(trainer=user).order_by("-opened_at", "-pk").values_list("pk", flat=True)
            self.filter(trainer=user).exclude(pk__in=list(kept[:KEEP_PER_TRAINER])).delete()
        return room

    def due(self, now: datetime) -> models.QuerySet:
        """Rooms past delete_at(): the same rule, as a filter."""
        keep = timedelta(days=settings.READINESS_KEEP_DAYS)
        return self.filter(
            Q(workshop__event_date__lt=now.date() - keep)
            | Q(workshop__event_date__isnull=True, opened_at__lte=now - keep)
        )

    def delete_due(self, now: datetime) -> Expired:
        _, deleted = self.due(now).delete()
        return Expired(deleted.get(CheckRoom._meta.label, 0), deleted.get(MachineReport._meta.label, 0))


class CheckRoom(models.Model):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="check_rooms")
    trainer = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="check_rooms"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token)
    opened_at = models.DateTimeField(default=timezone.now)
    closed_at = models.DateTimeField(null=True, blank=True, help_text="Its link is refused from then on.")

    objects = CheckRoomQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        constraints = [
            # Pressing "Open a readiness check" twice, or in two tabs, gives the room one link.
            models.UniqueConstraint(
                fields=["workshop", "trainer"],
                condition=Q(closed_at__isnull=True),
                name="one_open_check_room",
            )
        ]

    def __str__(self) -> str:
        return f"readiness check of {self.workshop} by {self.trainer_id}"

    def get_absolute_url(self) -> str:
        return reverse("trainer:check-dashboard", args=[self.pk])

    @property
    def join_url(self) -> str:
        return reverse("workshops:check-join", args=[self.token])

    @property
    def is_open(self) -> bool:
        return self.closed_at is None

    @property
    def delete_at(self) -> datetime:
        return delete_at(self.workshop.event_date, self.opened_at, settings.READINESS_KEEP_DAYS)

    def close(self) -> None:
        if self.closed_at is None:
            self.closed_at = timezone.now()
            self.save(update_fields=["closed_at"])


class MachineReport(models.Model):
    """The newest report of one attendee's machine, known by its nickname in the room."""

    room = models.ForeignKey(CheckRoom, on_delete=models.CASCADE, related_name="reports")
    nickname = models.CharField(max_length=100)
    report = models.JSONField(help_text="Report.to_json(): only the fields check_report reads.")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["nickname"]
        constraints = [models.UniqueConstraint(fields=["room", "nickname"], name="one_report_per_machine")]

    def __str__(self) -> str:
        return f"{self.nickname} in room {self.room_id}"

    @classmethod
    def receive(cls, room: CheckRoom, report: Report) -> "MachineReport":
        """Store a report; the same nickname again in the room replaces its earlier one."""
        row, _ = cls.objects.update_or_create(
            room=room,
            nickname=report.nickname,
            defaults={"report": report.to_json(), "received_at": timezone.now()},
        )
        return row

    @property
    def parsed(self) -> Report:
        return read_report(self.report)


def attendee_command(join_link: str) -> str:
    """What an attendee types in the kit's folder to check their machine and report to the room."""
    return f"sh check.sh --report {shlex.quote(join_link)} --nickname your-name"
