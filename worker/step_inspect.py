"""Steps that look into running containers: exec, logs, processes and health."""

from __future__ import annotations

import dataclasses
import time

from worker.engine import engine_errors
from worker.expectations import evaluate, seconds
from worker.scenario import Step
from worker.step_arguments import checked_user, words
from worker.step_context import RunContext, StepOutcome, retry_until
from worker.step_output import run_exec

EXEC_SECONDS = 30.0
HEALTH_SECONDS = 60.0
# The engine runs the host's ps and keeps the rows of the container's processes; STAT shows states.
PS_ARGUMENTS = "-eo pid,ppid,user,stat,args"


def exec_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    handle = ctx.containers[step.params["container"]]
    command = words(step.params["command"], "command") or []
    user = checked_user(step.params.get("user")) or ""
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

    checks, observed = retry_until(ctx, index, step, observe, step.params.get("retry_for", 0.0))
    summary = f"exit {observed['exit_code']} after {seconds(observed['duration'])}"
    reason = detail = ""
    if observed["flooded"]:
        reason, detail = "OUTPUT_LIMIT", f"exec in {handle.name} printed more than 1 MiB"
    elif observed["timed_out"]:
        reason, detail = "RUN_TIMEOUT", f"exec in {handle.name} ran past {seconds(timeout)}"
    return StepOutcome(checks, reason, detail, summary, observed["output"])


def logs_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    handle = ctx.containers[step.params["container"]]
    checks, observed = retry_until(
        ctx, index, step, lambda: {"output": handle.output.text()}, step.params.get("retry_for", 0.0)
    )
    lines = len(observed["output"].splitlines())
    return StepOutcome(checks, summary=f"{lines} lines", output=observed["output"])


def processes_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    """The container's processes as the engine lists them (`docker top`), one row per process.

    On cgroup v1 an exited, unreaped child leaves the cgroup, so the engine's list
    misses zombies; an `exec` of `ps` inside the container shows them.
    """
    handle = ctx.containers[step.params["container"]]
    with engine_errors():
        top = ctx.client.api.top(handle.id, ps_args=PS_ARGUMENTS)
    rows = [" ".join(row) for row in top.get("Processes") or []]
    observed = {"rows": rows, "output": "\n".join(rows)}
    checks = tuple(evaluate(index, "processes", step.expect, observed))
    return StepOutcome(checks, summary=f"{len(rows)} processes", output=observed["output"])


def health_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    """Poll the HEALTHCHECK status until it is the expected one, the container stops, or time runs out."""
    handle = ctx.containers[step.params["container"]]
    wanted = step.expect.get("health")
    deadline = ctx.step_deadline(step.params.get("timeout", HEALTH_SECONDS))
    while True:
        with engine_errors():
            state = ctx.client.api.inspect_container(handle.id)["State"]
        health = state.get("Health") or {}
        status = health.get("Status") or "none"
        # No Health at all means the image has no HEALTHCHECK: waiting would change nothing.
        done = not wanted or status == wanted or not health or not state.get("Running")
        if done or time.monotonic() >= deadline:
            break
        time.sleep(0.25)
    checks = evaluate(index, "health", step.expect, {"health": status})
    last = (health.get("Log") or [{}])[-1]
    detail = (
        f"last check exited {last.get('ExitCode')}: {str(last.get('Output', '')).strip()[:200]}"
        if last
        else ""
    )
    checks = [dataclasses.replace(check, detail=detail) for check in checks]
    return StepOutcome(tuple(checks), summary=f"health {status}")
