"""An anti-pattern measured against its fix within one run: the checks of each side, side by side.

Some anti-patterns are not in the image but in how it is run (state in the writable layer, a
change made with `docker exec`, unrelated services in one pod): the mistake and the fix start
the same image, so comparing images would show two equal columns. Their scenarios mark where
the mistake ends and the fix begins (`side: before`, `side: after`), and this view shows what
the run observed on each side.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from worker.scenario import Scenario, Step


class Check(Protocol):
    step: int  # counted from 1


@dataclass(frozen=True)
class BeforeAfter:
    before: tuple  # the checks of the anti-pattern's steps, in run order
    after: tuple  # the checks of the fix's steps
    before_images: tuple[str, ...]
    after_images: tuple[str, ...]

    @property
    def same_images(self) -> bool:
        """Both sides start the very same images: the difference is in how they are run."""
        return bool(self.before_images) and set(self.before_images) == set(self.after_images)

    @property
    def columns(self) -> tuple[tuple[str, tuple[str, ...], tuple], ...]:
        """(heading, images started, checks) for the anti-pattern, then for its fix."""
        return (
            ("Before: the anti-pattern", self.before_images, self.before),
            ("After: the fix", self.after_images, self.after),
        )


def before_and_after(scenario: Scenario, checks: Sequence[Check]) -> BeforeAfter | None:
    """The two sides of a scenario that names them, or None when it names none."""
    side_of = {number: step.side for number, step in enumerate(scenario.steps, start=1)}
    if "before" not in side_of.values():
        return None
    return BeforeAfter(
        before=tuple(check for check in checks if side_of.get(check.step) == "before"),
        after=tuple(check for check in checks if side_of.get(check.step) == "after"),
        before_images=images_started(scenario.steps, "before"),
        after_images=images_started(scenario.steps, "after"),
    )


def images_started(steps: Sequence[Step], side: str) -> tuple[str, ...]:
    images = (step.image for step in steps if step.side == side and step.action == "run")
    return tuple(dict.fromkeys(image for image in images if image))
