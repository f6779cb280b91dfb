"""Submitting a draft: checked as the catalog loads it, within the hourly quota, then sent to the sandbox.

Only the sandbox's worker consumes the task (CELERY_TASK_ROUTES sends catalog.verify_submission to the
`sandbox` queue), so a submission can never be built on the main engine.
"""

from __future__ import annotations

from celery import current_app
from django.db import transaction
from django.utils import timezone

from catalog.submissions.drafts import DraftRefused, check_and_keep, files_of
from catalog.submissions.folder import compose_readme, folder_digest
from catalog.submissions.models import Submission, SubmissionRun
from catalog.submissions.quotas import runs_refusal

VERIFY_SUBMISSION_TASK = "catalog.verify_submission"


def submitted_digest(submission: Submission) -> str:
    return folder_digest(compose_readme(submission.fields, submission.body)[0], files_of(submission))


def submit(submission: Submission) -> SubmissionRun:
    """The draft goes to the sandbox; DraftRefused says why not (not editable, problems, quota)."""
    if not submission.editable:
        raise DraftRefused(f"it is {submission.get_state_display().lower()}: it cannot be submitted now")
    checked = check_and_keep(submission)
    if checked.problems:
        count = len(checked.problems)
        plural = "s" if count != 1 else ""
        first = checked.problems[0]
        where = " ".join(part for part in (first.file, first.field) if part)
        raise DraftRefused(
            f"{count} problem{plural} to fix first, each shown beside its field; the first: "
            f"{where + ': ' if where else ''}{first.message}"
        )
    if not checked.source or not checked.source.examples:
        raise DraftRefused("a pattern is verified by its examples: add one under examples/<name>/ first")
    refusal = runs_refusal(submission.author)
    if refusal:
        raise DraftRefused(refusal)
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if not locked.editable:  # a second click, or a second tab
            raise DraftRefused("it was submitted already")
        run = SubmissionRun.objects.create(submission=locked, digest=submitted_digest(locked))
        now = timezone.now()
        locked.state = Submission.State.VERIFYING
        locked.submitted_at = locked.submitted_at or now
        locked.updated_at = now
        locked.save(update_fields=["state", "submitted_at", "updated_at"])
        transaction.on_commit(lambda: send_run(run.pk))
    submission.refresh_from_db()
    return run


def send_run(run_id: int) -> None:
    """Wake the sandbox's worker; the row decides whether there is work (SubmissionRun.claim)."""
    current_app.send_task(VERIFY_SUBMISSION_TASK, args=(run_id,))


def latest_run(submission: Submission) -> SubmissionRun | None:
    return submission.runs.order_by("-queued_at", "-pk").first()
