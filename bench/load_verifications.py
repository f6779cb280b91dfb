"""The verifications run during the load: counted by outcome, and at the end cancelled or waited for.

Imported after django.setup(): it reads the bench's own database through the ORM.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import UTC, datetime

from django.db.models.functions import Now

from catalog.models import Verification
from catalog.verifications.latest import RESULT_STATES

CANCELLED_DETAIL = "Cancelled: the load benchmark ended before this run began."


def moment(epoch: float) -> datetime:
    return datetime.fromtimestamp(epoch, tz=UTC)


def outcomes(start: float, end: float) -> Counter[str]:
    """Results recorded between the two moments, by state."""
    rows = Verification.objects.filter(
        state__in=RESULT_STATES, finished_at__range=(moment(start), moment(end))
    )
    return Counter(rows.values_list("state", flat=True))


def queued_count() -> int:
    return Verification.objects.count()


def wind_down(timeout: float) -> tuple[int, int]:
    """Cancels what has not started and waits for what has; returns (cancelled, still running).

    The claim takes only queued rows, so a cancelled one is never started, whatever the broker
    still holds for it.
    """
    waiting = Verification.objects.filter(state__in=(Verification.State.QUEUED, Verification.State.WAITING))
    cancelled = waiting.update(state=Verification.State.CANCELLED, finished_at=Now(), detail=CANCELLED_DETAIL)
    deadline = time.monotonic() + timeout
    while (running := Verification.objects.active().count()) and time.monotonic() < deadline:
        time.sleep(1)
    return cancelled, running
