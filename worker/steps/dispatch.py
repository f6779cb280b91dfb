"""Running one scenario step: its action's handler, and engine refusals turned into the step's outcome."""

from __future__ import annotations

from typing import TYPE_CHECKING

from docker.errors import APIError

from worker.contract.results import Check
from worker.engine.client import engine_fault
from worker.steps.context import RunContext, StepFailure, StepOutcome
from worker.steps.registry import ACTIONS

if TYPE_CHECKING:
    from worker.scenario.model import Step


def execute_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    """Run a step. The engine refusing something the example asked for fails the step, not the worker."""
    try:
        return ACTIONS[step.action].handler(ctx, index, step)
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
