"""A contributor's proposed pattern (new, or a change to one the catalog has) and its files.

A submission holds a whole pattern folder as the catalog keeps it in patterns/: the README's
front-matter fields and Markdown body as the contributor typed them (composed into README.md by
catalog/submissions/folder.py only when the folder is checked or written), and every other file
under the folder as a row. What the contributor typed is saved as typed, even when it does not
check: the problems are kept beside it, so that nothing is lost.
"""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from catalog.verifications.models import LOG_LIMIT


class Submission(models.Model):
    class Kind(models.TextChoices):
        NEW = "new", "A new pattern"
        CHANGE = "change", "A change to a pattern"

    class State(models.TextChoices):
        # The labels a reviewer's queue shows, in the order a submission moves through them.
        DRAFT = "draft", "Draft"
        VERIFYING = "verifying", "Verifying in the sandbox"
        AWAITING_REVIEW = "awaiting-review", "Awaiting review"
        AWAITING_AUTHOR = "awaiting-author", "Awaiting author"  # its own checks failed: the author's turn
        CHANGES_REQUESTED = "changes-requested", "Changes requested"
        ACCEPTED = "accepted", "Accepted"
        REJECTED = "rejected", "Rejected"

    EDITABLE_STATES = (State.DRAFT, State.AWAITING_AUTHOR, State.CHANGES_REQUESTED)

    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="submissions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    slug = models.SlugField(max_length=80, help_text="The pattern folder's name.")
    state = models.CharField(max_length=20, choices=State.choices, default=State.DRAFT)
    fields = models.JSONField(default=dict, help_text="The front-matter fields as typed, by name.")
    body = models.TextField(blank=True, help_text="The README's Markdown after the front matter.")
    base_hash = models.CharField(
        max_length=64, blank=True, help_text="A change: the pattern's folder digest when the draft began."
    )
    problems = models.JSONField(default=list, help_text="[file, field, message] of the last check.")
    checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    patch = models.TextField(blank=True, help_text="Accepted: the change as a git format-patch mail.")

    class Meta:
        ordering = ["-updated_at", "-pk"]
        indexes = [models.Index(fields=["state", "submitted_at"], name="submission_queue")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.slug} ({self.state})"

    def get_absolute_url(self) -> str:
        return reverse("submissions:edit", args=[self.pk])

    @property
    def editable(self) -> bool:
        return self.state in self.EDITABLE_STATES

    @property
    def title(self) -> str:
        name = self.fields.get("name")
        return name if isinstance(name, str) and name.strip() else self.slug


class SubmissionFile(models.Model):
    """A file of the submitted folder other than README.md: its path under the pattern's folder."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=200)  # e.g. examples/hello/Dockerfile
    content = models.TextField()
    executable = models.BooleanField(default=False)

    class Meta:
        ordering = ["path"]
        constraints = [models.UniqueConstraint(fields=["submission", "path"], name="unique_submission_file")]

    def __str__(self) -> str:
        return self.path


class SubmissionRun(models.Model):
    """One verification of a submission in the sandbox: every example and its mutant, as submitted.

    A run is claimed by the sandbox worker with a conditional update (queued or waiting to running, the
    attempt counted up), so a message delivered twice runs it once; every later write is fenced on the
    attempt. `digest` is the folder's digest when it was submitted: a reviewer's results are the files'.
    """

    class State(models.TextChoices):
        QUEUED = "queued", "Queued"
        WAITING = "waiting", "Waiting for the sandbox"
        RUNNING = "running", "Running in the sandbox"
        PASSED = "passed", "Passed"
        FAILED = "failed", "Failed"

    ACTIVE = (State.QUEUED, State.WAITING, State.RUNNING)

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="runs")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    attempt = models.PositiveIntegerField(default=0)
    digest = models.CharField(max_length=64)
    detail = models.TextField(blank=True, help_text="Why it waits, or what failed, in a sentence.")
    progress = models.CharField(max_length=200, blank=True)
    log = models.TextField(blank=True)
    results = models.JSONField(default=list, help_text="Per example: its result, report and mutant.")
    worker = models.CharField(max_length=200, blank=True)
    queued_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-queued_at", "-pk"]
        indexes = [models.Index(fields=["state", "heartbeat_at"], name="submission_run_state")]

    def __str__(self) -> str:
        return f"run {self.pk} of submission {self.submission_id} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (self.State.PASSED, self.State.FAILED)

    @classmethod
    def claim(cls, pk: int, worker: str) -> int | None:
        """The new attempt number when this worker now owns the run; None when it is not to be run."""
        now = timezone.now()
        claimed = cls.objects.filter(pk=pk, state__in=(cls.State.QUEUED, cls.State.WAITING)).update(
            state=cls.State.RUNNING,
            attempt=F("attempt") + 1,
            worker=worker,
            started_at=now,
            heartbeat_at=now,
            detail="",
            log="",
        )
        return cls.objects.values_list("attempt", flat=True).get(pk=pk) if claimed else None

    @classmethod
    def owned(cls, pk: int, attempt: int):
        return cls.objects.filter(pk=pk, attempt=attempt, state=cls.State.RUNNING)

    @classmethod
    def heartbeat(cls, pk: int, attempt: int, progress: str | None = None) -> bool:
        fields = {"heartbeat_at": timezone.now()}
        if progress is not None:
            fields["progress"] = progress[:200]
        return bool(cls.owned(pk, attempt).update(**fields))

    @classmethod
    def append_log(cls, pk: int, attempt: int, text: str) -> bool:
        """Progress lines for the live log, the stored log kept to its last LOG_LIMIT characters."""
        row = cls.owned(pk, attempt).values_list("log", flat=True).first()
        return row is not None and bool(cls.owned(pk, attempt).update(log=(row + text)[-LOG_LIMIT:]))

    @classmethod
    def finish(cls, pk: int, attempt: int, *, passed: bool, detail: str, results: list) -> bool:
        """The run's end, fenced on its attempt; False when it is not this attempt's any more."""
        return bool(
            cls.owned(pk, attempt).update(
                state=cls.State.PASSED if passed else cls.State.FAILED,
                detail=detail,
                results=results,
                progress="",
                finished_at=timezone.now(),
            )
        )

    @classmethod
    def wait(cls, pk: int, why: str, attempt: int | None = None) -> bool:
        """Not run now, for a reason that is not the submission's (no sandbox, the engine failed)."""
        rows = cls.objects.filter(pk=pk)
        rows = (
            rows.filter(state__in=(cls.State.QUEUED, cls.State.WAITING))
            if attempt is None
            else (rows.filter(attempt=attempt, state=cls.State.RUNNING))
        )
        return bool(rows.update(state=cls.State.WAITING, detail=why, progress=""))

    @classmethod
    def requeue_stale(cls, older_than) -> list[int]:
        """Running rows whose worker stopped beating (it died): queued again, to be sent again."""
        stale = list(
            cls.objects.filter(state=cls.State.RUNNING)
            .filter(Q(heartbeat_at__lt=older_than) | Q(heartbeat_at__isnull=True))
            .values_list("pk", flat=True)
        )
        if stale:
            cls.objects.filter(pk__in=stale, state=cls.State.RUNNING).update(
                state=cls.State.QUEUED, detail="Its worker stopped answering; it runs again.", progress=""
            )
        return stale


class ReviewComment(models.Model):
    """A reviewer's (or the author's) words on a submission, shown to both, oldest first."""

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="comments")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    body = models.TextField()
    decision = models.CharField(max_length=20, blank=True, help_text="The state it moved the submission to.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self) -> str:
        return f"comment {self.pk} on submission {self.submission_id}"
