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


def runs_refusal(author) -> str:
    since = timezone.now() - HOUR
    recent = SubmissionRun.objects.filter(submission__author=author, queued_at__gte=since)
    oldest = recent.order_by("queued_at").values_list("queued_at", flat=True).first()
    allowed = settings.SUBMISSION_RUNS_PER_HOUR
    return quota_refusal(recent.count(), allowed, oldest, "asked for a verification")


def drafts_refusal(author) -> str:
    since = timezone.now() - HOUR
    recent = Submission.objects.filter(author=author, created_at__gte=since)
    oldest = recent.order_by("created_at").values_list("created_at", flat=True).first()
    return quota_refusal(recent.count(), settings.SUBMISSIONS_PER_HOUR, oldest, "started a draft")
