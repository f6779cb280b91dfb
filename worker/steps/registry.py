"""Every step action, collected from its unit: the schema, the runner and the judges read them here.

Adding an action means one new module in this package that defines a StepAction, its
line below, its tests, and its row in patterns/AUTHORING.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from worker.contract.results import Check
from worker.steps import (
    build,
    compare,
    compose_up,
    exec_command,
    health,
    image,
    judges,
    layers,
    logs,
    probe,
    processes,
    run,
    stop,
    wait,
    write,
)
from worker.steps.action import StepAction

if TYPE_CHECKING:
    from worker.scenario.model import Step

ACTIONS: dict[str, StepAction] = {
    action.name: action
    for action in (
        build.BUILD,
        build.REBUILD,
        run.ACTION,
        exec_command.ACTION,
        probe.ACTION,
        write.ACTION,
        stop.ACTION,
        wait.ACTION,
        logs.ACTION,
        processes.ACTION,
        health.ACTION,
        image.ACTION,
        layers.ACTION,
        compose_up.ACTION,
    )
}
COMPARISON: judges.Expectations = compare.EXPECT  # what example.yaml's `compare` entries may expect


def describe(step: Step) -> str:
    """A short title for a step, for the live log and the step reports."""
    return ACTIONS[step.action].describe(step.params)


def evaluate(
    step_index: int, action: str, expect: Mapping[str, Any], observed: judges.Observed
) -> list[Check]:
    """Judge expectations with the judges of the action ("compare" for a comparison) that made them."""
    expectations = COMPARISON if action == compare.ACTION else ACTIONS[action].expect
    return judges.evaluate(step_index, action, expect, observed, expectations)
