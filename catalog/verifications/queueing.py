"""Ask for a verification: one live run per example, the Celery wake-up sent only after commit."""

from collections.abc import Iterable

from django.db import IntegrityError, transaction

from catalog.models import Example
from catalog.verifications.models import Verification
from worker.tasks import verify_example


def request_verification(example: Example, *, trust: str = "curated") -> tuple[Verification, bool]:
    """The example's live verification, joined if one is queued or running, else a new one.

    Returns the row and whether it was created. The message is only a wake-up call:
    if it is lost, the reaper's sweep sends it again; if it comes twice, the claim
    lets one through.
    """
    live = example.verifications.active().first()
    if live:
        return live, False
    try:
        with transaction.atomic():
            verification = Verification.objects.create(
                example=example, example_hash=example.content_hash, trust=trust
            )
    except IntegrityError:
        # Another request created the live row between our read and our insert: join it.
        return example.verifications.active().get(), False
    verify_example.delay_on_commit(verification.pk)
    return verification, True


def queue_examples(example_ids: Iterable[int]) -> int:
    """Ask for a verification of each example (joining a live one); returns how many were new."""
    examples = Example.objects.filter(pk__in=list(example_ids)).order_by("pk")
    return sum(request_verification(example)[1] for example in examples)


def queue_unverified() -> int:
    """Queue every example that has never been verified (what `make run` does on start)."""
    examples = Example.objects.filter(pattern__published=True, verifications__isnull=True)
    return sum(request_verification(example)[1] for example in examples)
