"""The stop step: `docker stop` a container, timed, and judge how long it took and how it ended."""

from __future__ import annotations

import dataclasses
import math
import time
from typing import TYPE_CHECKING

from worker.engine.client import engine_errors
from worker.steps.action import StepAction, on_container
from worker.steps.context import RunContext, StepOutcome
from worker.steps.exits import exit_outcome, exit_state
from worker.steps.judges import EXIT_CODE, OUTPUT, Expectation, bound

if TYPE_CHECKING:
    from worker.scenario.model import Step

STOP_SECONDS = 10.0


def stop_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    """docker stop, timed: SIGTERM, then SIGKILL after the timeout (whole seconds, as the engine takes it)."""
    handle = ctx.containers[step.params["container"]]
    # Never past the scenario's deadline: the engine would wait out any grace it is given.
    grace = math.ceil(ctx.seconds(step.params.get("timeout", STOP_SECONDS)))
    started = time.monotonic()
    with engine_errors():
        ctx.client.api.stop(handle.id, timeout=grace)
    took = time.monotonic() - started
    # A stop that lasted its whole grace period ended in the engine's SIGKILL.
    observed = {**exit_state(ctx, handle, ctx.step_deadline(30), stopped=took >= grace), "stop_seconds": took}
    outcome = exit_outcome(index, step, handle, observed, EXPECT)
    return dataclasses.replace(outcome, summary=f"stopped in {took:.2f} s, exit {observed['exit_code']}")


EXPECT = {
    "stopped_within": Expectation("duration", bound("stop_seconds", at_most=True)),
    "stopped_after": Expectation("duration", bound("stop_seconds", at_most=False)),
    "exit_code": EXIT_CODE,
    **OUTPUT,
}
ACTION = StepAction(
    name="stop",
    params={"container": "container", "timeout": "duration"},
    required=frozenset({"container"}),
    expect=EXPECT,
    describe=on_container("stop"),
    handler=stop_step,
    shorthand="container",
)
