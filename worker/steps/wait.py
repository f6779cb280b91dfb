"""The wait step: wait for a container an earlier step started to exit, and judge how it ended."""

from __future__ import annotations

from typing import TYPE_CHECKING

from worker.steps.action import StepAction, on_container
from worker.steps.context import RunContext, StepOutcome
from worker.steps.exits import EXIT, exit_outcome, exit_state

if TYPE_CHECKING:
    from worker.scenario.model import Step

WAIT_SECONDS = 60.0


def wait_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    handle = ctx.containers[step.params["container"]]
    observed = exit_state(ctx, handle, ctx.step_deadline(step.params.get("timeout", WAIT_SECONDS)))
    return exit_outcome(index, step, handle, observed, EXIT)


ACTION = StepAction(
    name="wait",
    params={"container": "container", "timeout": "duration"},
    required=frozenset({"container"}),
    expect=EXIT,
    describe=on_container("wait"),
    handler=wait_step,
    shorthand="container",
)
