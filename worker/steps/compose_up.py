"""The compose step: start an example's Compose file the way `docker compose up -d` does, via the API.

Services start in dependency order, and each `depends_on` condition is waited for as Compose
waits for it: `service_healthy` until the dependency's HEALTHCHECK reports healthy,
`service_completed_successfully` until it exited 0, `service_started` not at all. A dependency
that cannot meet its condition ends the run, as it makes `docker compose up` fail. Each service
becomes a container the later steps name by its service name. Ports are not published: the
checks reach a service on its network, and a reader's machine publishes them.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from worker.compose_file import ComposeProject, ComposeService
from worker.engine.client import engine_errors
from worker.steps.action import StepAction
from worker.steps.context import RunContext, StepFailure, StepOutcome
from worker.steps.exits import exit_state
from worker.steps.health import last_check, wait_for_health
from worker.steps.judges import Expectation, Observed, Verdict, evaluate, texts
from worker.steps.run import start_container

if TYPE_CHECKING:
    from worker.scenario.model import Step

COMPOSE_SECONDS = 60.0  # for every condition together, as `docker compose up --wait-timeout`


def compose_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    project = ComposeProject.from_dict(step.params["project"])
    deadline = ctx.step_deadline(step.params.get("timeout", COMPOSE_SECONDS))
    lines = []
    for service in project.services:
        for dependency, condition in service.depends_on.items():
            lines.append(wait_for_condition(ctx, service.name, dependency, condition, deadline))
        start_container(ctx, run_params(service), also_networks=service.networks[1:])
        lines.append(f"started {service.name} (image {service.image}, network {', '.join(service.networks)})")
    started = [service.name for service in project.services]
    checks = evaluate(index, "compose", step.expect, {"started": started}, EXPECT)
    return StepOutcome(tuple(checks), summary=f"started {', '.join(started)}", output="\n".join(lines))


def run_params(service: ComposeService) -> dict:
    """The service as a detached run step's parameters: what `docker compose up` gives its container."""
    params = {
        "image": service.image,
        "name": service.name,
        "detach": True,
        "network": service.networks[0],
        "environment": service.environment,
        "command": service.command,
        "entrypoint": service.entrypoint,
        "user": service.user,
    }
    return {key: value for key, value in params.items() if value not in (None, {})}


def wait_for_condition(
    ctx: RunContext, service: str, dependency: str, condition: str, deadline: float
) -> str:
    """Wait until `dependency` meets the condition `service` starts on; a line saying how it went."""
    handle = ctx.containers[dependency]
    began = time.monotonic()
    if condition == "service_healthy":
        status, health = wait_for_health(ctx, handle.id, "healthy", deadline)
        if status != "healthy":
            why = "has no HEALTHCHECK" if status == "none" else f"is {status}; {last_check(health)}"
            raise StepFailure(
                "CHECK_FAILED", f"{service} depends on {dependency} being healthy, and {dependency} {why}"
            )
    elif condition == "service_completed_successfully":
        code = exit_state(ctx, handle, deadline)["exit_code"]
        if code != 0:
            raise StepFailure(
                "CHECK_FAILED", f"{service} depends on {dependency} completing, and it exited {code}"
            )
    else:
        with engine_errors():
            running = ctx.client.api.inspect_container(handle.id)["State"].get("Running")
        return f"{service} waits for {dependency} to start: {'running' if running else 'already stopped'}"
    waited = time.monotonic() - began
    return f"{service} waited {waited:.1f} s for {dependency}: {condition.removeprefix('service_')}"


def _in_order(expected: object, observed: Observed) -> list[Verdict]:
    order = observed["started"]
    wanted = texts(expected)
    return [Verdict(f"started in the order {', '.join(wanted)}", ", ".join(order), order == wanted)]


def describe(params: dict) -> str:
    return f"compose up {params['project']['file']}"


EXPECT = {"started": Expectation("texts", _in_order)}
ACTION = StepAction(
    name="compose",
    params={"project": "compose_file", "timeout": "duration"},
    required=frozenset({"project"}),
    expect=EXPECT,
    describe=describe,
    handler=compose_step,
    shorthand="project",
)
