"""The daily re-verification of workshops still to come: a cold run of each of their examples, once a day.

Which workshops: those whose date is today or later, and the curated ones without a date. A curated
workshop without a date is the catalog's standing offer, which a trainer may pick up any day, so it is
kept proven every day; a trainer's own without a date is a draft that may never be given, and is
re-verified once its trainer gives it a date. Past workshops are left alone.

Once a day per example: an example that already had a cold run queued today (by this beat, or by a
trainer's pre-flight) is not queued again, and several workshops sharing an example queue it once.
"""

from dataclasses import dataclass
from datetime import date, datetime, time

from django.db.models import Q
from django.utils import timezone

from catalog.models import Verification
from catalog.verifications.queueing import request_verification
from catalog.workshops.examples_shown import examples_of, items_of
from catalog.workshops.models import Workshop


@dataclass(frozen=True)
class Reverified:
    workshops: int
    examples: int  # distinct examples of those workshops
    queued: int  # new cold runs
    joined: int  # cold already, or a live warm run made cold
    skipped: int  # already had a cold run queued today


def workshops_to_come(today: date):
    return (
        Workshop.objects.published()
        .filter(Q(event_date__gte=today) | Q(event_date__isnull=True, source=Workshop.Source.CURATED))
        .with_agenda()
    )


def reverify_workshops(now: datetime | None = None) -> Reverified:
    now = now or timezone.now()
    today = timezone.localdate(now)
    workshops = list(workshops_to_come(today))
    examples = {}
    for workshop in workshops:
        examples.update((example.pk, example) for example in examples_of(items_of(workshop, None)))
    start_of_day = timezone.make_aware(datetime.combine(today, time.min))
    done_today = set(
        Verification.objects.filter(example_id__in=examples, cold=True, queued_at__gte=start_of_day)
        .values_list("example_id", flat=True)
        .distinct()
    )
    queued = joined = 0
    for pk, example in examples.items():
        if pk in done_today:
            continue
        _, created = request_verification(example, cold=True)
        queued += created
        joined += not created
    return Reverified(len(workshops), len(examples), queued, joined, len(done_today))
