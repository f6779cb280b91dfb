"""The reviewers' side of submissions: the queue, the comments both sides read, and the decisions.

A decision moves the submission's label with a conditional update on the locked row, so two
reviewers deciding at once cannot both win; every decision is also a comment, so the author reads
it in the same list as the words that came with it. Accepting writes the catalog: catalog/submissions/
accept.py, which records its decision through `record_decision` here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.db.models import Count, F, OuterRef, QuerySet, Subquery
from django.utils import timezone
from django.utils.timesince import timesince

from catalog.submissions.models import ReviewComment, Submission, SubmissionRun

State = Submission.State
QUEUE_STATES = [state for state in State if state != State.DRAFT]


class Decision:
    """What the reviewer's form asks for; every one but COMMENT moves the label."""

    COMMENT = "comment"
    REQUEST_CHANGES = "request-changes"
    REJECT = "reject"
    ACCEPT = "accept"
    CHOICES = (
        (COMMENT, "Comment only"),
        (REQUEST_CHANGES, "Request changes"),
        (REJECT, "Reject"),
        (ACCEPT, "Accept"),
    )


# The label each decision moves to, and the labels it may be taken from.
MOVES = {
    Decision.REQUEST_CHANGES: (State.CHANGES_REQUESTED, (State.AWAITING_REVIEW, State.AWAITING_AUTHOR)),
    Decision.REJECT: (
        State.REJECTED,
        (State.VERIFYING, State.AWAITING_REVIEW, State.AWAITING_AUTHOR, State.CHANGES_REQUESTED),
    ),
}
COMMENT_REQUIRED = (Decision.COMMENT, Decision.REQUEST_CHANGES, Decision.REJECT)
COMMENT_MAX = 20_000


class ReviewRefused(ValueError):
    """The decision cannot be taken now; the message says why, and nothing was changed."""


@dataclass(frozen=True)
class Comment:
    """A comment as both pages show it: who, when, the words, and the label it moved to ("" if none)."""

    author: str
    reviewer: bool
    body: str
    decision: str
    decision_label: str
    created_at: datetime


def comments_for(submission: Submission) -> list[Comment]:
    """The submission's comments, oldest first, with their authors' names (one query)."""
    labels = dict(State.choices)
    return [
        Comment(
            author=comment.author.get_username(),
            reviewer=comment.author.is_staff,
            body=comment.body,
            decision=comment.decision,
            decision_label=labels.get(comment.decision, comment.decision),
            created_at=comment.created_at,
        )
        for comment in submission.comments.select_related("author").order_by("created_at", "pk")
    ]


def queue(state: str = "") -> QuerySet[Submission]:
    """Every submission past its draft (one label when `state` names one), the oldest submitted first,
    with its author and its latest run's state (`latest_run_state`, None before any run)."""
    latest = SubmissionRun.objects.filter(submission=OuterRef("pk")).order_by("-queued_at", "-pk")
    rows = (
        Submission.objects.exclude(state=State.DRAFT)
        .select_related("author")
        .annotate(latest_run_state=Subquery(latest.values("state")[:1]))
    )
    if state:
        rows = rows.filter(state=state)
    return rows.order_by(F("submitted_at").asc(nulls_last=True), "pk")


def queue_counts() -> dict[str, int]:
    rows = Submission.objects.exclude(state=State.DRAFT).order_by().values_list("state")
    counts = dict(rows.annotate(Count("pk")))
    return {state.value: counts.get(state.value, 0) for state in QUEUE_STATES}


def age_text(when: datetime | None, now: datetime | None = None) -> str:
    """ "3 hours ago": the largest unit only, as a queue is read at a glance."""
    if when is None:
        return ""
    since = timesince(when, now or timezone.now(), depth=1)
    return "just now" if since.startswith("0") else f"{since} ago"


def record_decision(locked: Submission, reviewer, state: str, body: str) -> ReviewComment:
    """The submission moved to `state` by `reviewer`, with the comment that says it. The caller holds
    the row (select_for_update) inside a transaction."""
    now = timezone.now()
    locked.state = state
    locked.decided_by = reviewer
    locked.decided_at = locked.updated_at = now
    locked.save(update_fields=["state", "decided_by", "decided_at", "updated_at", "patch"])
    return ReviewComment.objects.create(
        submission=locked, author=reviewer, body=body, decision=state, created_at=now
    )


def decide(submission: Submission, reviewer, decision: str, body: str) -> ReviewComment:
    """A comment, a request for changes or a rejection; ReviewRefused says why not. Accepting is
    catalog/submissions/accept.py's, as it writes the catalog."""
    body = body.strip()
    if decision in COMMENT_REQUIRED and not body:
        raise ReviewRefused("say why in the comment: the author reads it to know what to do next")
    if len(body) > COMMENT_MAX:
        raise ReviewRefused(f"a comment holds at most {COMMENT_MAX} characters")
    with transaction.atomic():
        locked = Submission.objects.select_for_update().get(pk=submission.pk)
        if locked.state == State.DRAFT:
            raise ReviewRefused("it is a draft: nothing has been submitted to review")
        if decision == Decision.COMMENT:
            comment = ReviewComment.objects.create(submission=locked, author=reviewer, body=body)
        elif decision in MOVES:
            state, allowed = MOVES[decision]
            if locked.state not in allowed:
                label = locked.get_state_display().lower()
                raise ReviewRefused(f"it is {label}: it cannot be moved to {State(state).label.lower()}")
            comment = record_decision(locked, reviewer, state, body)
        else:
            raise ReviewRefused(f"{decision!r} is not a decision a reviewer can take here")
    submission.refresh_from_db()
    return comment
