"""The health step: wait for a container's HEALTHCHECK status and judge it."""

from __future__ import annotations

import dataclasses
import time
from typing import TYPE_CHECKING

from worker.engine.client import engine_errors
from worker.steps.action import StepAction, on_container
from worker.steps.context import RunContext, StepOutcome
from worker.steps.judges import Expectation, equals, evaluate

if TYPE_CHECKING:
    from worker.scenario.model import Step

HEALTH_SECONDS = 60.0


def health_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    """Poll the HEALTHCHECK status until it is the expected one, the container stops, or time runs out."""
    handle = ctx.containers[step.params["container"]]
    deadline = ctx.step_deadline(step.params.get("timeout", HEALTH_SECONDS))
    status, health = wait_for_health(ctx, handle.id, step.expect.get("health"), deadline)
    checks = evaluate(index, "health", step.expect, {"health": status}, EXPECT)
    checks = [dataclasses.replace(check, detail=last_check(health)) for check in checks]
    return StepOutcome(tuple(checks), summary=f"health {status}")


def wait_for_health(
    ctx: RunContext, container_id: str, wanted: str | None, deadline: float
) -> tuple[str, dict]:
    """The HEALTHCHECK status ("none" without one) once it is `wanted`, it stopped, or time ran out."""
    while True:
        with engine_errors():
            state = ctx.client.api.inspect_container(container_id)["State"]
        health = state.get("Health") or {}
        status = health.get("Status") or "none"
        # No Health at all means the image has no HEALTHCHECK: waiting would change nothing.
        done = not wanted or status == wanted or not health or not state.get("Running")
        if done or time.monotonic() >= deadline:
            return status, health
        time.sleep(0.25)


def last_check(health: dict) -> str:
    """What the latest health check exited with and printed, for a report."""
    last = (health.get("Log") or [{}])[-1]
    if not last:
        return ""
    return f"last check exited {last.get('ExitCode')}: {str(last.get('Output', '')).strip()[:200]}"


EXPECT = {"health": Expectation("health", equals("health"))}
ACTION = StepAction(
    name="health",
    params={"container": "container", "timeout": "duration"},
    required=frozenset({"container"}),
    expect=EXPECT,
    describe=on_container("health"),
    handler=health_step,
    shorthand="container",
)
