"""What a step action is: one unit that owns its schema, its description, its handler and its judges."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from worker.steps.context import RunContext, StepOutcome
from worker.steps.judges import Expectations

if TYPE_CHECKING:
    from worker.scenario.model import Step

# A problem with fields that are each fine alone: (the field, relative to the mapping checked; message).
Problem = tuple[str, str]
Handler = Callable[[RunContext, int, "Step"], StepOutcome]


def no_problems(*values: Mapping) -> list[Problem]:
    return []


@dataclass(frozen=True)
class StepAction:
    """One action of example.yaml's steps, from the schema that checks it to the judges of its checks.

    `params` and `expect` map each field to its kind (worker/scenario/kinds.py). Their
    order is the order of a parsed step's fields, so it is part of the stored scenario
    and of the content hash that decides whether an example is verified again.
    """

    name: str
    params: Mapping[str, str]
    required: frozenset[str]
    expect: Expectations
    describe: Callable[[Mapping], str]  # a step's title in the live log and the step reports
    handler: Handler
    shorthand: str | None = None  # `- build: web` stands for `- build: {image: web}`
    check_params: Callable[[Mapping], list[Problem]] = no_problems  # rules across parameters
    check_expect: Callable[[Mapping, Mapping], list[Problem]] = no_problems  # params and expect

    @property
    def expect_kinds(self) -> dict[str, str]:
        return {name: expectation.kind for name, expectation in self.expect.items()}


def on_container(action: str) -> Callable[[Mapping], str]:
    """The title of a step that acts on one container: `stop app`."""

    def describe(params: Mapping) -> str:
        return f"{action} {params['container']}"

    return describe


def on_image(action: str) -> Callable[[Mapping], str]:
    def describe(params: Mapping) -> str:
        return f"{action} {params['image']}"

    return describe
