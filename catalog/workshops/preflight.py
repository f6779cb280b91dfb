"""The trainer's pre-flight: cold verifications of every example of a workshop (or a cut), as one run.

Verifications are the usual durable jobs; a pre-flight only groups them, so a cold run already
live is joined, not doubled. What it found: catalog/workshops/preflight_report.py.
"""

from django.db import transaction

from catalog.models import Example
from catalog.serving import page_cache
from catalog.verifications.latest import with_passed_id
from catalog.verifications.queueing import request_verification
from catalog.workshops.examples_shown import examples_of, items_of
from catalog.workshops.models import Workshop, WorkshopCut
from catalog.workshops.preflight_models import Preflight, PreflightRun


@transaction.atomic
def start_preflight(workshop: Workshop, cut: WorkshopCut | None = None, user=None) -> tuple[Preflight, int]:
    """Queue a cold verification of every example shown; returns the pre-flight and how many were new.

    `workshop` comes with its agenda (Workshop.objects.with_agenda()).
    """
    preflight = Preflight.objects.create(
        workshop=workshop, cut_name=cut.name if cut else "", requested_by=user if user else None
    )
    runs, new = [], 0
    examples = examples_of(items_of(workshop, cut), with_passed_id(Example.objects.all()))
    for position, example in enumerate(examples):
        verification, created = request_verification(example, cold=True)
        new += created
        runs.append(
            PreflightRun(
                preflight=preflight,
                position=position,
                verification=verification,
                baseline_id=example.newest_passed_id,
            )
        )
    PreflightRun.objects.bulk_create(runs, ignore_conflicts=True)  # two examples cannot share a run
    # The workshop page, cached for everyone, shows the pre-flight from now on.
    transaction.on_commit(page_cache.bump_generation)
    return preflight, new
