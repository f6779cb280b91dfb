"""A verification as a durable job: the database row, not the broker, is the source of truth.

A worker claims a row with one conditional UPDATE that also bumps the attempt
number; every later write is fenced on that attempt, so a worker whose lease
was taken over can never overwrite the newer attempt's result.

A run that could not happen for a reason that is not the example's (no engine, a
missing base image, a full disk, a lost worker) is never a final result: the row
waits, says why and since when, and is woken again with back-off (worker/waking).
"""

import functools
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Coalesce, Now
from django.utils import timezone

from worker.contract.reasons import FailureReason
from worker.contract.report import VerificationReport

LOG_LIMIT = 256 * 1024


def lease_length() -> timedelta:
    return timedelta(seconds=settings.VERIFY_LEASE_SECONDS)


def retry_delay(waits: int) -> timedelta:
    """How long the `waits`-th wait in a row lasts: doubling from VERIFY_RETRY_SECONDS up to its cap."""
    seconds = settings.VERIFY_RETRY_SECONDS * 2 ** max(0, min(waits - 1, 16))
    return timedelta(seconds=min(seconds, settings.VERIFY_RETRY_MAX_SECONDS))


class VerificationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(state__in=Verification.ACTIVE_STATES)

    def finished(self):
        return self.filter(state__in=Verification.FINISHED_STATES)

    def expired(self):
        """Claimed rows whose worker stopped extending the lease."""
        return self.filter(state__in=Verification.CLAIMED_STATES, lease_expires_at__lt=Now())

    def due(self):
        """Waiting rows whose back-off has run out."""
        return self.filter(state=Verification.State.WAITING, retry_at__lte=Now())

    def stale(self, seconds: float) -> list[int]:
        """Queued rows older than `seconds`: their wake-up message may have been lost."""
        cutoff = timezone.now() - timedelta(seconds=seconds)
        return list(
            self.filter(state=Verification.State.QUEUED, queued_at__lt=cutoff).values_list("pk", flat=True)
        )

    def fenced(self, pk: int, attempt: int):
        """The row only while `attempt` is still the live one."""
        return self.filter(pk=pk, attempt=attempt, state__in=Verification.CLAIMED_STATES)


class ImageLayers(models.Model):
    """One image's full layer analysis (every layer's change list), read when a reader opens a layer."""

    verification = models.ForeignKey("Verification", on_delete=models.CASCADE, related_name="image_layers")
    image_name = models.CharField(max_length=64)
    analysis = models.JSONField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["verification", "image_name"], name="unique_image_layers")
        ]

    def __str__(self) -> str:
        return f"layers of {self.image_name} in verification {self.verification_id}"


class VerificationState(models.TextChoices):
    QUEUED = "queued", "Queued"
    WAITING = "waiting", "Waiting"
    BUILDING = "building", "Building"
    RUNNING = "running", "Running"
    PASSED = "passed", "Passed"
    FAILED = "failed", "Failed"
    ERROR = "error", "Error"
    CANCELLED = "cancelled", "Cancelled"


# Module-level because `Verification.Meta` cannot see names inside `Verification`: the unique
# constraint below is made from these, so a new live state cannot be left out of it.
CLAIMED_STATES = (VerificationState.BUILDING, VerificationState.RUNNING)
ACTIVE_STATES = (VerificationState.QUEUED, VerificationState.WAITING, *CLAIMED_STATES)


class Verification(models.Model):
    State = VerificationState

    # The worker's words (worker/contract/reasons.py): BUILD_FAILED to HOST_ACCESS_DISABLED are the
    # example's fault and final; INFRA is not (new rows wait instead; rows of older versions carry it).
    Reason = models.TextChoices("Reason", [(r.name, (r.value, r.label)) for r in FailureReason])

    CLAIMED_STATES = CLAIMED_STATES
    ACTIVE_STATES = ACTIVE_STATES
    FINISHED_STATES = (State.PASSED, State.FAILED, State.ERROR, State.CANCELLED)

    example = models.ForeignKey("catalog.Example", on_delete=models.CASCADE, related_name="verifications")
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    failure_reason = models.CharField(max_length=24, choices=Reason.choices, blank=True, default="")
    detail = models.TextField(blank=True)
    example_hash = models.CharField(max_length=64, help_text="The example content that was queued.")
    environment_hash = models.CharField(max_length=64, blank=True, help_text="Bases, engine, policy.")
    trust = models.CharField(max_length=12, default="curated")
    # Built with no layer the engine cached before the run (run_scenario's `nocache`): what the trainer's
    # pre-flight and the daily re-verification of workshops ask for. A warm request may join a cold run.
    cold = models.BooleanField(default=False, help_text="Built with nothing cached from before the run.")
    # The fence: every claim takes the next number. Not a cap: a fault that is not the
    # example's is retried for as long as it lasts (with back-off), never made final.
    attempt = models.PositiveIntegerField(default=0)
    waits = models.PositiveIntegerField(default=0, help_text="Infrastructure waits since the last result.")
    waiting_since = models.DateTimeField(null=True, blank=True)
    retry_at = models.DateTimeField(null=True, blank=True)
    lease_owner = models.CharField(max_length=200, blank=True)
    lease_expires_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    duration = models.FloatField(null=True, blank=True, help_text="Seconds the last attempt ran.")
    result = models.JSONField(null=True, blank=True, help_text="Checks, builds, image facts, engine.")
    # Image name -> bytes, apart from `result` so the size-over-time chart reads a few numbers, not results.
    image_sizes = models.JSONField(default=dict, blank=True)
    log = models.TextField(blank=True)

    objects = VerificationQuerySet.as_manager()

    class Meta:
        ordering = ["-queued_at", "-pk"]
        get_latest_by = "queued_at"
        constraints = [
            # One live run per example: pressing "Verify again" while one is queued joins it.
            models.UniqueConstraint(
                fields=["example"],
                condition=Q(state__in=list(ACTIVE_STATES)),
                name="one_active_verification_per_example",
            ),
        ]
        indexes = [models.Index(fields=["state", "lease_expires_at"])]

    def __str__(self) -> str:
        return f"verification {self.pk} of {self.example_id}: {self.state}"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @functools.cached_property
    def report(self) -> VerificationReport | None:
        """The stored result, parsed once, typed (worker/contract/report.py); None before a result."""
        return VerificationReport.from_json(self.result) if self.result else None

    # --- the claim and the fenced writes; each is one UPDATE and says whether it won ---

    @classmethod
    def claim(cls, pk: int, worker: str) -> int | None:
        """Take the row for a new attempt; returns that attempt, or None if another worker has it."""
        claimable = Q(state=cls.State.QUEUED) | Q(state__in=cls.CLAIMED_STATES, lease_expires_at__lt=Now())
        won = cls.objects.filter(claimable, pk=pk).update(
            state=cls.State.BUILDING,
            attempt=F("attempt") + 1,
            lease_owner=worker,
            lease_expires_at=Now() + lease_length(),
            heartbeat_at=Now(),
            started_at=Now(),
            log="",
        )
        if not won:
            return None
        return cls.objects.filter(pk=pk, lease_owner=worker).values_list("attempt", flat=True).first()

    @classmethod
    def heartbeat(cls, pk: int, attempt: int) -> bool:
        """Extend the lease; False means the attempt was taken over and must stop."""
        return bool(
            cls.objects.fenced(pk, attempt).update(
                lease_expires_at=Now() + lease_length(), heartbeat_at=Now()
            )
        )

    @classmethod
    def mark_running(cls, pk: int, attempt: int) -> bool:
        return bool(cls.objects.fenced(pk, attempt).update(state=cls.State.RUNNING))

    @classmethod
    def append_log(cls, pk: int, attempt: int, text: str) -> bool:
        """Add progress lines for the live log, keeping the stored log bounded."""
        row = cls.objects.fenced(pk, attempt).values_list("log", flat=True).first()
        if row is None:
            return False
        log = (row + text)[-LOG_LIMIT:]
        return bool(cls.objects.fenced(pk, attempt).update(log=log))

    @classmethod
    def finish(
        cls, pk: int, attempt: int, *, state: str, reason: str = "", detail: str = "", **fields
    ) -> bool:
        """Record the attempt's result; False when a newer attempt owns the row."""
        return bool(
            cls.objects.fenced(pk, attempt).update(
                state=state,
                failure_reason=reason,
                detail=detail,
                finished_at=Now(),
                lease_owner="",
                lease_expires_at=None,
                waits=0,
                waiting_since=None,
                retry_at=None,
                **fields,
            )
        )

    @classmethod
    def release(cls, pk: int, attempt: int, cause: str) -> bool:
        """Give a claimed row back after a fault that is not the example's: it waits, then retries."""
        return cls._wait(cls.objects.fenced(pk, attempt), cause)

    @classmethod
    def wait(cls, pk: int, cause: str) -> bool:
        """A queued row that cannot be claimed yet (no engine, too little disk): it waits, then retries."""
        return cls._wait(cls.objects.filter(pk=pk, state__in=(cls.State.QUEUED, cls.State.WAITING)), cause)

    @classmethod
    def _wait(cls, rows: models.QuerySet, cause: str) -> bool:
        waits = rows.values_list("waits", flat=True).first()
        if waits is None:
            return False
        return bool(
            rows.filter(waits=waits).update(  # fenced on waits too: two callers count one wait each
                state=cls.State.WAITING,
                detail=cause,
                waits=waits + 1,
                waiting_since=Coalesce(F("waiting_since"), Now()),
                retry_at=Now() + retry_delay(waits + 1),
                lease_owner="",
                lease_expires_at=None,
            )
        )

    @classmethod
    def wake(cls, *, due_only: bool = True) -> list[int]:
        """Queue waiting rows again (those whose back-off ran out, or all); returns their ids."""
        rows = cls.objects.due() if due_only else cls.objects.filter(state=cls.State.WAITING)
        ids = list(rows.values_list("pk", flat=True))
        # The same condition again: only rows still waiting move, so no id is queued twice.
        rows.filter(pk__in=ids).update(state=cls.State.QUEUED)
        return ids

    @classmethod
    def make_cold(cls, pk: int) -> str:
        """Make a live warm row cold, so that a cold request never gets a warm result by joining it.

        One live row per example is the rule, so a cold run cannot queue beside a warm one. Not yet
        claimed, the row keeps its place ("kept"). Claimed, it goes back to the queue ("restarted"):
        its running attempt is fenced out and stops at its next log flush, as after a lost lease, since
        what it builds may come from the cache. "" when the row is no longer live and warm.
        """
        unclaimed = (cls.State.QUEUED, cls.State.WAITING)
        # queued_at becomes the cold request's: "a cold run asked today" counts it (workshops/reverify.py).
        if cls.objects.filter(pk=pk, cold=False, state__in=unclaimed).update(cold=True, queued_at=Now()):
            return "kept"
        restarted = cls.objects.filter(pk=pk, cold=False, state__in=cls.CLAIMED_STATES).update(
            cold=True,
            queued_at=Now(),
            state=cls.State.QUEUED,
            lease_owner="",
            lease_expires_at=None,
            detail="Restarted cold: a run without the build cache was asked for while this one ran.",
        )
        return "restarted" if restarted else ""

    @classmethod
    def requeue_expired(cls) -> list[int]:
        """Rows whose worker stopped extending the lease wait for a retry; returns their ids."""
        lost = "the worker stopped answering during the run (its lease expired); it will be retried"
        ids = list(cls.objects.expired().values_list("pk", "attempt"))
        # Fenced on the attempt: a heartbeat or a new claim that landed meanwhile keeps its row.
        return [
            pk for pk, attempt in ids if cls._wait(cls.objects.expired().filter(pk=pk, attempt=attempt), lost)
        ]
