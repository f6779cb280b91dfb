"""The run step: start a container from an image this run built, and wait for it unless it is detached.

Never `containers.run()`: it pulls when an image is missing. Containers are
created from the ID of an image this run built, attached, then started.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from worker.engine.client import engine_errors
from worker.steps.action import Problem, StepAction
from worker.steps.arguments import container_arguments
from worker.steps.context import ContainerHandle, RunContext, StepOutcome
from worker.steps.exits import EXIT, exit_outcome, exit_state
from worker.steps.images import image_id
from worker.steps.output import ContainerOutput
from worker.steps.volumes import network

if TYPE_CHECKING:
    from worker.scenario.model import Step

RUN_SECONDS = 60.0


def run_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    handle = start_container(ctx, step.params)
    if step.params.get("detach"):
        return StepOutcome(summary=f"started {handle.name} in the background")
    observed = exit_state(ctx, handle, ctx.step_deadline(step.params.get("timeout", RUN_SECONDS)))
    return exit_outcome(index, step, handle, observed, EXIT)


def start_container(ctx: RunContext, params: dict, also_networks: tuple[str, ...] = ()) -> ContainerHandle:
    """Create and start the container `params` describe; `also_networks` are joined before it starts."""
    image = image_id(ctx, params["image"])
    name = params.get("name", "")
    ctx.count("containers", ctx.policy.containers_max)
    with engine_errors():
        arguments = container_arguments(ctx, params, image)
        container = ctx.client.containers.create(
            image,
            name=ctx.engine_name(name) if name else ctx.helper_name("run"),
            labels={**ctx.labels, "catalog.container": name or "(unnamed)"},
            **arguments,
        )
        output = ContainerOutput(ctx.client, container.id)
        ctx.outputs.append((name or container.short_id, output))
        handle = ContainerHandle(name or container.short_id, container.id, output)
        if name:
            ctx.containers[name] = handle
        for other in also_networks:  # Compose joins a service to each of its networks, under its name
            aliases = [name] if name else None
            ctx.client.api.connect_container_to_network(container.id, network(ctx, other), aliases=aliases)
        ctx.client.api.start(container.id)
    return handle


def describe(params: Mapping) -> str:
    name = f" as {params['name']}" if "name" in params else ""
    return f"run {params['image']}{name}{' in the background' if params.get('detach') else ''}"


def check_params(params: Mapping) -> list[Problem]:
    if params.get("detach") and "name" not in params:
        return [("name", "a detached container needs a name to refer to")]
    return []


def check_expect(params: Mapping, expect: Mapping) -> list[Problem]:
    if params.get("detach") and expect:
        return [("", "a detached run has no result yet; check it with a later step")]
    return []


ACTION = StepAction(
    name="run",
    params={
        "image": "image",
        "name": "new_container",
        "command": "command",
        "entrypoint": "command",
        "environment": "mapping",
        "detach": "boolean",
        "init": "boolean",
        "user": "text",
        "network": "network",
        "pid": "namespace",
        "ipc": "namespace",
        "volumes_from": "containers",
        "mounts": "mounts",
        "read_only": "boolean",
        "tmpfs": "abs_paths",
        "mem_limit": "size",
        "timeout": "duration",
        "host_access": "host_access",
    },
    required=frozenset({"image"}),
    expect=EXIT,
    describe=describe,
    handler=run_step,
    check_params=check_params,
    check_expect=check_expect,
)
