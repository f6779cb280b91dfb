"""Ask for a verification: one live run per example, the Celery wake-up sent only after commit."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from catalog.models import Example
from catalog.verifications.models import Verification
from worker.tasks import verify_example

# Each try loses only to another request or to a run finishing meanwhile, so a few are plenty.
JOIN_TRIES = 5


def request_verification(
    example: Example, *, trust: str = "curated", cold: bool = False
) -> tuple[Verification, bool]:
    """The example's live verification, joined if one is queued or running, else a new one.

    Returns the row and whether it was created. The message is only a wake-up call:
    if it is lost, the reaper's sweep sends it again; if it comes twice, the claim
    lets one through. A `cold` request (built without the cache) joins only a cold run:
    a live warm one is made cold first (Verification.make_cold says how and why).
    """
    for _ in range(JOIN_TRIES):
        live = example.verifications.active().first()
        if live is None:
            created = _create(example, trust, cold)
            if created:
                return created, True
            continue  # another request created the live row between our read and our insert
        if not cold or live.cold:
            return live, False
        made = Verification.make_cold(live.pk)
        if made == "restarted":
            verify_example.delay_on_commit(live.pk)
        if made:
            live.refresh_from_db()
            return live, False
        # It finished (or turned cold) between our read and our update: look again.
    raise RuntimeError(f"example {example}: its live verification kept changing; try again")


def _create(example: Example, trust: str, cold: bool) -> Verification | None:
    try:
        with transaction.atomic():
            verification = Verification.objects.create(
                example=example, example_hash=example.content_hash, trust=trust, cold=cold
            )
    except IntegrityError:
        return None
    verify_example.delay_on_commit(verification.pk)
    return verification


def queue_examples(example_ids: Iterable[int]) -> int:
    """Ask for a verification of each example (joining a live one); returns how many were new."""
    examples = Example.objects.filter(pk__in=list(example_ids)).order_by("pk")
    return sum(request_verification(example)[1] for example in examples)


def queue_unverified() -> int:
    """Queue every example that has never been verified (what `make run` does on start)."""
    examples = Example.objects.filter(pattern__published=True, verifications__isnull=True)
    return sum(request_verification(example)[1] for example in examples)
