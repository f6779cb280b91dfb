"""The exec step: run a command in a running container, bounded in time and output, and judge it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from worker.engine.client import engine_errors
from worker.steps.action import StepAction
from worker.steps.arguments import words
from worker.steps.context import RunContext, StepOutcome, retry_until
from worker.steps.judges import DURATION_MAX, EXIT_CODE, OUTPUT, seconds
from worker.steps.output import run_exec
from worker.steps.users import exec_user

if TYPE_CHECKING:
    from worker.scenario.model import Step

EXEC_SECONDS = 30.0


def exec_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    handle = ctx.containers[step.params["container"]]
    command = words(step.params["command"], "command") or []
    user = exec_user(ctx, handle.id, step.params.get("user"))
    timeout = step.params.get("timeout", EXEC_SECONDS)

    def observe() -> dict:
        with engine_errors():
            result = run_exec(ctx.client, handle.id, command, user=user, deadline=ctx.step_deadline(timeout))
        return {
            "exit_code": result.exit_code,
            "output": result.output,
            "duration": result.duration,
            "timed_out": result.timed_out,
            "flooded": result.exceeded,
            "final": result.timed_out or result.exceeded,
        }

    checks, observed = retry_until(ctx, index, step, observe, step.params.get("retry_for", 0.0), EXPECT)
    summary = f"exit {observed['exit_code']} after {seconds(observed['duration'])}"
    reason = detail = ""
    if observed["flooded"]:
        reason, detail = "OUTPUT_LIMIT", f"exec in {handle.name} printed more than 1 MiB"
    elif observed["timed_out"]:
        reason, detail = "RUN_TIMEOUT", f"exec in {handle.name} ran past {seconds(timeout)}"
    return StepOutcome(checks, reason, detail, summary, observed["output"])


def describe(params: Mapping) -> str:
    command = params["command"]
    return f"exec in {params['container']}: {command if isinstance(command, str) else ' '.join(command)}"


EXPECT = {"exit_code": EXIT_CODE, "duration_max": DURATION_MAX, **OUTPUT}
ACTION = StepAction(
    name="exec",
    params={
        "container": "container",
        "command": "command",
        "user": "text",
        "timeout": "duration",
        "retry_for": "duration",
    },
    required=frozenset({"container", "command"}),
    expect=EXPECT,
    describe=describe,
    handler=exec_step,
)
