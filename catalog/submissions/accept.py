"""Accepting a submission: its folder written into the catalog's patterns/ as content-as-code, loaded by
the catalog's sync, and every example of the pattern verified again as curated, on the main engine.

The folder is written beside the catalog's, then swapped in with two renames, so a failure at any
point (the write, the sync refusing the tree, the database) puts the previous folder back as it was.
The change is also kept as a `git format-patch` mail, for the catalog's repository.
"""

from __future__ import annotations

import contextlib
import fcntl
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.content.importer import SyncReport, sync_patterns, workshops_beside
from catalog.models import Example
from catalog.submissions.diffs import Folder, catalog_folder, folder_diff, submitted_folder
from catalog.submissions.drafts import patterns_dir
from catalog.submissions.folder import README, write_folder
from catalog.submissions.models import Submission, SubmissionRun
from catalog.submissions.patches import PatchMail, format_patch
from catalog.submissions.review import COMMENT_MAX, ReviewRefused, record_decision
from catalog.submissions.submit import latest_run, submitted_digest
from catalog.verifications.queueing import request_verification

MOST_ERRORS_SAID = 5


@dataclass(frozen=True)
class Accepted:
    patch: str
    sync: SyncReport
    verifications: int  # examples whose curated verification was asked for (new or joined)


def accept_refusal(submission: Submission, run: SubmissionRun | None, in_catalog: bool) -> str:
    """Why the submission cannot be accepted now ("" when it can): only what a passed run proved is."""
    if submission.kind == Submission.Kind.NEW and in_catalog:
        return f"the catalog has a pattern {submission.slug!r} now: accepting would replace it"
    if submission.state != Submission.State.AWAITING_REVIEW:
        label = submission.get_state_display().lower()
        return f"it is {label}: only a submission awaiting review can be accepted"
    if run is None or run.state != SubmissionRun.State.PASSED:
        return "its latest run in the sandbox did not pass: only proven files can be accepted"
    if run.digest != submitted_digest(submission):
        return (
            "its files changed after its latest run in the sandbox, so that run's results are not "
            "theirs: it must be submitted and verified again before it can be accepted"
        )
    return ""


@contextlib.contextmanager
def catalog_write_lock():
    """One acceptance at a time writes PATTERNS_DIR and syncs it, across the site's processes: two
    submissions for one slug must not swap their folders in each other's middle."""
    with open(Path(settings.VAR_DIR) / "accept.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def accept(submission: Submission, reviewer, comment: str = "") -> Accepted:
    """Write, sync and verify the submission's folder; ReviewRefused says why not (nothing changed)."""
    comment = comment.strip()
    if len(comment) > COMMENT_MAX:
        raise ReviewRefused(f"a comment holds at most {COMMENT_MAX} characters")
    with catalog_write_lock():
        return _accept_locked(submission, reviewer, comment)


def _accept_locked(submission: Submission, reviewer, comment: str) -> Accepted:
    root = patterns_dir()
    swap: FolderSwap | None = None
    try:
        with transaction.atomic():
            rows = Submission.objects.select_for_update(of=("self",)).select_related("author")
            locked = rows.get(pk=submission.pk)
            before, after = catalog_folder(root, locked.slug).files, submitted_folder(locked)
            refusal = accept_refusal(locked, latest_run(locked), in_catalog=bool(before))
            if refusal:
                raise ReviewRefused(refusal)
            locked.patch = format_patch(
                patch_mail(locked, reviewer, is_new=not before),
                folder_diff(before, after),
                f"patterns/{locked.slug}/",
            )
            swap = FolderSwap.write(root, locked.slug, after)
            report = sync_patterns(root, workshops_beside(root))
            if report.errors:
                said = "; ".join(str(error) for error in report.errors[:MOST_ERRORS_SAID])
                raise ReviewRefused(
                    f"the catalog does not load with it, so its folder was put back as it was: {said}"
                )
            examples = list(Example.objects.filter(pattern__slug=locked.slug).order_by("pk"))
            for example in examples:
                request_verification(example)  # joins the one the sync queued, when a worker runs
            record_decision(locked, reviewer, Submission.State.ACCEPTED, comment)
    except BaseException:
        if swap is not None:
            swap.undo()
        raise
    swap.done()
    submission.refresh_from_db()
    return Accepted(locked.patch, report, len(examples))


def patch_mail(submission: Submission, reviewer, *, is_new: bool) -> PatchMail:
    author = submission.author
    verb = "Add" if is_new else "Change"
    what = "A new pattern" if is_new else "A change to the pattern"
    return PatchMail(
        author_name=author.get_full_name() or author.get_username(),
        author_username=author.get_username(),
        date=submission.submitted_at or timezone.now(),
        subject=f"{verb} pattern {submission.slug}: {submission.title}",
        body=(
            f"{what}, proposed in submission {submission.pk}. Every example passed its checks in the\n"
            f"sandbox and every mutant failed them; accepted by {reviewer.get_username()}."
        ),
    )


@dataclass(frozen=True)
class FolderSwap:
    """The accepted folder in place of the catalog's, the previous one kept aside until it is done."""

    folder: Path
    previous: Path | None  # None: the pattern is new

    @classmethod
    def write(cls, root: Path, slug: str, files: Folder) -> FolderSwap:
        # Dot-folders: the loader skips them, so neither is ever read as a pattern.
        staging = root / f".accepting-{slug}-{uuid.uuid4().hex[:8]}"
        folder = root / slug
        try:
            readme = files[README][0]
            write_folder(staging, readme, {path: file for path, file in files.items() if path != README})
            previous = None
            if folder.exists():
                previous = root / f".replaced-{slug}-{uuid.uuid4().hex[:8]}"
                folder.rename(previous)
            try:
                staging.rename(folder)
            except OSError:
                if previous is not None:
                    previous.rename(folder)
                raise
        finally:
            shutil.rmtree(staging, ignore_errors=True)  # gone already when the swap happened
        return cls(folder, previous)

    def undo(self) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        if self.previous is not None:
            self.previous.rename(self.folder)

    def done(self) -> None:
        if self.previous is not None:
            shutil.rmtree(self.previous, ignore_errors=True)
