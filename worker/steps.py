"""One scenario step: its handler, a line describing it, and engine refusals turned into its outcome."""

from __future__ import annotations

from collections.abc import Callable

from docker.errors import APIError

from worker.contract.results import Check
from worker.engine import engine_fault
from worker.scenario import Step
from worker.step_context import RunContext, StepFailure, StepOutcome
from worker.step_images import build_step, image_step
from worker.step_inspect import exec_step, health_step, logs_step, processes_step
from worker.step_probe import probe_step
from worker.step_run import run_step, stop_step, wait_step
from worker.step_volumes import write_step

Handler = Callable[[RunContext, int, Step], StepOutcome]
HANDLERS: dict[str, Handler] = {
    "build": build_step,
    "rebuild": build_step,
    "run": run_step,
    "exec": exec_step,
    "probe": probe_step,
    "write": write_step,
    "stop": stop_step,
    "wait": wait_step,
    "logs": logs_step,
    "processes": processes_step,
    "health": health_step,
    "image": image_step,
}


def execute_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    """Run a step. The engine refusing something the example asked for fails the step, not the worker."""
    try:
        return HANDLERS[step.action](ctx, index, step)
    except StepFailure as failure:
        return failed(index, step.action, failure.reason, failure.detail)
    except APIError as error:
        fault = engine_fault(error)
        if fault:
            return failed(index, step.action, "INFRA", fault)
        return failed(index, step.action, "CHECK_FAILED", str(error.explanation or error))


def failed(index: int, action: str, reason: str, detail: str) -> StepOutcome:
    checks = ()
    if reason == "CHECK_FAILED":
        # Recorded as a check so the page shows what went wrong where the expectations are.
        checks = (Check(index, action, "completes", "the step completes", detail, False),)
    return StepOutcome(checks, reason, detail, summary=f"{reason}: {detail}")


def describe(step: Step) -> str:
    """A short title for a step, for the live log and the step reports."""
    params = step.params
    if step.action in ("build", "image"):
        return f"{step.action} {params['image']}"
    if step.action == "rebuild":
        return f"rebuild {params['image']} after touching {params['touch']}"
    if step.action == "run":
        name = f" as {params['name']}" if "name" in params else ""
        return f"run {params['image']}{name}{' in the background' if params.get('detach') else ''}"
    if step.action == "exec":
        command = params["command"]
        return f"exec in {params['container']}: {command if isinstance(command, str) else ' '.join(command)}"
    if step.action == "probe":
        return f"probe {params['container']} port {params['port']}{params.get('path', '/')}"
    if step.action == "write":
        return f"write {params['volume']}:{params['path']}"
    return f"{step.action} {params['container']}"
