"""Which examples need a verification: content-addressed, so an unchanged, passing example is skipped."""

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from catalog.models import Example, Verification


@dataclass(frozen=True)
class Plan:
    to_queue: list[Example]
    up_to_date: list[Example]


def plan_verifications(
    examples: Iterable[Example], *, force: bool, environment_of: Callable[[Example], str | None]
) -> Plan:
    """Queue what changed since its last pass (its files, the bases, the engine or the runner).

    `environment_of` gives the current environment fingerprint of an example, or None
    when the engine cannot be asked; then only the example's own content decides.
    """
    to_queue, up_to_date = [], []
    for example in examples:
        if not force and is_up_to_date(example, environment_of):
            up_to_date.append(example)
        else:
            to_queue.append(example)
    return Plan(to_queue, up_to_date)


def is_up_to_date(example: Example, environment_of: Callable[[Example], str | None]) -> bool:
    latest = example.verifications.first()
    if latest is None or latest.example_hash != example.content_hash:
        return False
    if latest.is_active:
        return True  # already on its way; joining it is the same as queueing it
    if latest.state != Verification.State.PASSED:
        return False
    environment = environment_of(example)
    return environment is None or environment == latest.environment_hash
