"""A comparison of two images (example.yaml's `compare`): its expectations, their judges, and the run of it.

Not a step action (it runs after the steps, on the images they built), but owned the same way:
the schema reads EXPECT's kinds, the runner calls `compare`, and its judges live here.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from worker.contract.quantities import format_size
from worker.images.ids import short_id
from worker.steps.context import RunContext, StepOutcome
from worker.steps.images import facts_of
from worker.steps.judges import Expectation, Judge, Observed, Verdict, evaluate

if TYPE_CHECKING:
    from worker.scenario.model import Comparison

ACTION = "compare"  # what its checks carry as their action


def compare(ctx: RunContext, index: int, comparison: Comparison) -> StepOutcome:
    first, second = (facts_of(ctx, name) for name in comparison.images)
    checks = tuple(evaluate(index, ACTION, comparison.expect, {"a": first, "b": second}, EXPECT))
    summary = f"{first.name} {format_size(first.size)} vs {second.name} {format_size(second.size)}"
    return StepOutcome(checks, summary=summary)


def ratio(at_most: bool) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        a, b = observed["a"], observed["b"]
        value = a.size / b.size if b.size else float("inf")
        passed = value <= expected if at_most else value >= expected
        shown = f"{value:.4g} ({a.name} {format_size(a.size)} / {b.name} {format_size(b.size)})"
        return [Verdict(f"{'<=' if at_most else '>='} {expected:g}", shown, passed)]

    return judge


def compared(what: str, attribute: str, relation: Callable[[Any, Any], bool], show: Callable) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        a, b = observed["a"], observed["b"]
        holds = relation(getattr(a, attribute), getattr(b, attribute))
        shown = f"{a.name} {show(getattr(a, attribute))}, {b.name} {show(getattr(b, attribute))}"
        return [Verdict(f"{a.name} {what} {b.name}: {'yes' if expected else 'no'}", shown, holds == expected)]

    return judge


def _layers(count: int) -> str:
    return f"{count} layers"


EXPECT = {
    "size_ratio_max": Expectation("number", ratio(at_most=True)),
    "size_ratio_min": Expectation("number", ratio(at_most=False)),
    "smaller": Expectation("boolean", compared("is smaller than", "size", lambda a, b: a < b, format_size)),
    "fewer_layers": Expectation(
        "boolean", compared("has fewer layers than", "layers", lambda a, b: a < b, _layers)
    ),
    "same_id": Expectation(
        "boolean", compared("has the same ID as", "id", lambda a, b: a == b, lambda i: short_id(i) or i)
    ),
}
