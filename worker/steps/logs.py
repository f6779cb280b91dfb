"""The logs step: what a container printed so far, judged, retried until it holds if asked."""

from __future__ import annotations

from typing import TYPE_CHECKING

from worker.steps.action import StepAction, on_container
from worker.steps.context import RunContext, StepOutcome, retry_until
from worker.steps.judges import OUTPUT

if TYPE_CHECKING:
    from worker.scenario.model import Step


def logs_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    handle = ctx.containers[step.params["container"]]
    checks, observed = retry_until(
        ctx, index, step, lambda: {"output": handle.output.text()}, step.params.get("retry_for", 0.0), OUTPUT
    )
    lines = len(observed["output"].splitlines())
    return StepOutcome(checks, summary=f"{lines} lines", output=observed["output"])


ACTION = StepAction(
    name="logs",
    params={"container": "container", "retry_for": "duration"},
    required=frozenset({"container"}),
    expect=OUTPUT,
    describe=on_container("logs"),
    handler=logs_step,
    shorthand="container",
)
