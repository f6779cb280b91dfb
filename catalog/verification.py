"""A verification as a durable job: the database row, not the broker, is the source of truth.

A worker claims a row with one conditional UPDATE that also bumps the attempt
number; every later write is fenced on that attempt, so a worker whose lease
was taken over can never overwrite the newer attempt's result.
"""

from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Now
from django.utils import timezone

LOG_LIMIT = 256 * 1024


def lease_length() -> timedelta:
    return timedelta(seconds=settings.VERIFY_LEASE_SECONDS)


class VerificationQuerySet(models.QuerySet):
    def active(self):
        return self.filter(state__in=Verification.ACTIVE_STATES)

    def finished(self):
        return self.filter(state__in=Verification.FINISHED_STATES)

    def expired(self):
        """Claimed rows whose worker stopped extending the lease."""
        return self.filter(state__in=Verification.CLAIMED_STATES, lease_expires_at__lt=Now())

    def stale(self, seconds: int) -> list[int]:
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


class Verification(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        BUILDING = "building", "Building"
        RUNNING = "running", "Running"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"
        ERROR = "error", "Error"
        CANCELLED = "cancelled", "Cancelled"

    class Reason(models.TextChoices):
        NONE = "", "None"
        # The example's fault: final, never retried.
        BUILD_FAILED = "BUILD_FAILED", "The build failed"
        CHECK_FAILED = "CHECK_FAILED", "A check failed"
        BUILD_TIMEOUT = "BUILD_TIMEOUT", "The build ran out of time"
        RUN_TIMEOUT = "RUN_TIMEOUT", "A step ran out of time"
        OOM = "OOM", "Out of memory"
        OUTPUT_LIMIT = "OUTPUT_LIMIT", "Too much output"
        INVALID_DOCKERFILE = "INVALID_DOCKERFILE", "The Dockerfile is invalid"
        POLICY_REJECTED = "POLICY_REJECTED", "Refused by the sandbox policy"
        HOST_ACCESS_DISABLED = "HOST_ACCESS_DISABLED", "Needs host access, which this worker does not allow"
        # Not the example's fault.
        INFRA = "INFRA", "Infrastructure error"

    CLAIMED_STATES = (State.BUILDING, State.RUNNING)
    ACTIVE_STATES = (State.QUEUED, *CLAIMED_STATES)
    FINISHED_STATES = (State.PASSED, State.FAILED, State.ERROR, State.CANCELLED)

    example = models.ForeignKey("catalog.Example", on_delete=models.CASCADE, related_name="verifications")
    state = models.CharField(max_length=12, choices=State.choices, default=State.QUEUED)
    failure_reason = models.CharField(max_length=24, choices=Reason.choices, blank=True, default="")
    detail = models.TextField(blank=True)
    example_hash = models.CharField(max_length=64, help_text="The example content that was queued.")
    environment_hash = models.CharField(max_length=64, blank=True, help_text="Bases, engine, policy.")
    trust = models.CharField(max_length=12, default="curated")
    attempt = models.PositiveSmallIntegerField(default=0)
    max_attempts = models.PositiveSmallIntegerField(default=3)
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
                condition=Q(state__in=["queued", "building", "running"]),
                name="one_active_verification_per_example",
            ),
            models.CheckConstraint(condition=Q(attempt__lte=F("max_attempts")), name="attempts_capped"),
        ]
        indexes = [models.Index(fields=["state", "lease_expires_at"])]

    def __str__(self) -> str:
        return f"verification {self.pk} of {self.example_id}: {self.state}"

    @property
    def is_active(self) -> bool:
        return self.state in self.ACTIVE_STATES

    @property
    def is_example_fault(self) -> bool:
        return self.state == self.State.FAILED

    # --- the claim and the fenced writes; each is one UPDATE and says whether it won ---

    @classmethod
    def claim(cls, pk: int, worker: str) -> int | None:
        """Take the row for a new attempt; returns that attempt, or None if another worker has it."""
        claimable = Q(state=cls.State.QUEUED) | Q(state__in=cls.CLAIMED_STATES, lease_expires_at__lt=Now())
        won = cls.objects.filter(claimable, pk=pk, attempt__lt=F("max_attempts")).update(
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
                **fields,
            )
        )

    @classmethod
    def release(cls, pk: int, attempt: int, detail: str) -> bool:
        """Give the row back to the queue after an infrastructure fault, or give up at the cap."""
        fenced = cls.objects.fenced(pk, attempt)
        if fenced.filter(attempt__gte=F("max_attempts")).exists():
            return cls.finish(pk, attempt, state=cls.State.ERROR, reason=cls.Reason.INFRA, detail=detail)
        return bool(
            fenced.update(state=cls.State.QUEUED, detail=detail, lease_owner="", lease_expires_at=None)
        )

    @classmethod
    def requeue_expired(cls) -> list[int]:
        """Give rows with an expired lease back to the queue, or end them at the attempt cap."""
        lost = "the worker stopped answering; its lease expired"
        cls.objects.expired().filter(attempt__gte=F("max_attempts")).update(
            state=cls.State.ERROR,
            failure_reason=cls.Reason.INFRA,
            detail=f"{lost} on the last allowed attempt",
            finished_at=Now(),
            lease_owner="",
            lease_expires_at=None,
        )
        ids = list(cls.objects.expired().values_list("pk", flat=True))
        # The same condition again: a heartbeat that landed meanwhile keeps its row.
        cls.objects.expired().filter(pk__in=ids).update(
            state=cls.State.QUEUED, detail=lost, lease_owner="", lease_expires_at=None
        )
        return ids
