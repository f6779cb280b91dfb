"""A contributor's proposed pattern (new, or a change to one the catalog has) and its files.

A submission holds a whole pattern folder as the catalog keeps it in patterns/: the README's
front-matter fields and Markdown body as the contributor typed them (composed into README.md by
catalog/submissions/folder.py only when the folder is checked or written), and every other file
under the folder as a row. What the contributor typed is saved as typed, even when it does not
check: the problems are kept beside it, so that nothing is lost.
"""

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone


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
