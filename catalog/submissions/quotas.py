"""Per-account hourly quotas: drafts started and sandbox verifications asked for, over a sliding hour."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from catalog.submissions.models import Submission, SubmissionRun

HOUR = timedelta(hours=1)


def quota_refusal(count: int, allowed: int, oldest: datetime | None, what: str) -> str:
    """The sentence for an account over its hourly quota ("" when within it): when it may try again."""
    if count < allowed:
        return ""
    again = timezone.localtime(oldest + HOUR).strftime("%H:%M") if oldest else "within the hour"
    times = "once" if count == 1 else f"{count} times"
    return f"this account has {what} {times} in the last hour, the most allowed: try again at {again}"


def recent_refusal(rows, moment: str, allowed: int, what: str) -> str:
    """The quota sentence for `rows` whose `moment` field fell in the last hour ("" when within it)."""
    recent = rows.filter(**{f"{moment}__gte": timezone.now() - HOUR})
    oldest = recent.order_by(moment).values_list(moment, flat=True).first()
    return quota_refusal(recent.count(), allowed, oldest, what)


def runs_refusal(author) -> str:
    rows = SubmissionRun.objects.filter(submission__author=author)
    return recent_refusal(rows, "queued_at", settings.SUBMISSION_RUNS_PER_HOUR, "asked for a verification")


def drafts_refusal(author) -> str:
    rows = Submission.objects.filter(author=author)
    return recent_refusal(rows, "created_at", settings.SUBMISSIONS_PER_HOUR, "started a draft")
