"""The arguments of a run step's container: the step's options, checked, inside the policy's limits.

Every value that reaches docker-py is a constant, an engine ID or name this run
made, or a value checked here (argv, user, environment names, mount paths).
"""

from __future__ import annotations

import json
import re
import shlex

from worker.policy import hardened_arguments, uncovered_volumes
from worker.steps.context import RunContext, StepFailure
from worker.steps.users import container_user
from worker.steps.volumes import anonymous_volume, network, volume

DOCKER_SOCKET = "/var/run/docker.sock"
SOCKET_LABELS_ENV = "CATALOG_LABELS"  # JSON object of the labels to put on anything made via the socket
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_MOUNT_PATH = re.compile(r"^/[A-Za-z0-9._/-]*$")  # no ':' that could smuggle options into a bind


def words(value: str | list[str] | None, what: str) -> list[str] | None:
    """A command as argv: text is split like a shell would, without running one."""
    if value is None:
        return None
    try:
        argv = shlex.split(value) if isinstance(value, str) else list(value)
    except ValueError as error:
        raise StepFailure("CHECK_FAILED", f"{what} {value!r} cannot be split into words: {error}") from error
    if any("\x00" in word for word in argv):
        raise StepFailure("CHECK_FAILED", f"{what} holds a NUL character")
    return argv


def checked_paths(paths: list[str], what: str) -> list[str]:
    for path in paths:
        if not _MOUNT_PATH.match(path) or "/../" in f"{path}/":
            raise StepFailure("CHECK_FAILED", f"{what} {path!r} must be a plain absolute path")
    return paths


def container_arguments(ctx: RunContext, params: dict, image: str) -> dict:
    """docker-py create() arguments for a run step: the step's own options inside the policy's limits."""
    config = ctx.client.api.inspect_image(image).get("Config") or {}
    environment = params.get("environment", {})
    if not all(_ENV_NAME.match(key) and "\x00" not in value for key, value in environment.items()):
        raise StepFailure("CHECK_FAILED", "environment names must be identifiers and values plain text")
    mounts = params.get("mounts", {})
    checked_paths(list(mounts.values()), "mount point")
    binds: dict[str, dict] = {volume(ctx, name): {"bind": at, "mode": "rw"} for name, at in mounts.items()}
    volumes_from = [ctx.containers[name].id for name in params.get("volumes_from", [])]
    covered = [bind["bind"] for bind in binds.values()]
    for container in volumes_from:
        covered += [m.get("Destination", "") for m in ctx.client.api.inspect_container(container)["Mounts"]]
    arguments = hardened_arguments(
        ctx.policy,
        config,
        user=container_user(ctx, image, config, params.get("user")),
        read_only=params.get("read_only", False),
        tmpfs=checked_paths(params.get("tmpfs", []), "tmpfs path"),
        mem_limit=params.get("mem_limit"),
        covered=covered,
    )
    if not ctx.policy.volumes_as_tmpfs:
        # Curated: a labelled named volume per VOLUME keeps Docker's semantics (the image's files are
        # copied in, volumes_from shares it) and, unlike an anonymous volume, carries our labels.
        for path in uncovered_volumes(config, [*covered, *(arguments["tmpfs"] or {})]):
            binds[anonymous_volume(ctx, path)] = {"bind": path, "mode": "rw"}
    host = set(params.get("host_access", []))
    if host and not ctx.policy.host_access:
        raise StepFailure("POLICY_REJECTED", "host access is never given at this trust level")
    if "docker-socket" in host:
        binds[DOCKER_SOCKET] = {"bind": DOCKER_SOCKET, "mode": "rw"}
        # What the container starts through the socket must carry the run's labels, or cleanup
        # and the reaper would never find it: the example reads them from this variable.
        environment = {**environment, SOCKET_LABELS_ENV: json.dumps(ctx.labels, sort_keys=True)}
    arguments.update(
        command=words(params.get("command"), "command"),
        entrypoint=words(params.get("entrypoint"), "entrypoint"),
        environment=environment or None,
        init=params.get("init") or None,
        volumes=binds or None,
        volumes_from=[f"{container}:rw" for container in volumes_from] or None,
    )
    arguments.update(_namespaces(ctx, params, host))
    return arguments


def _namespaces(ctx: RunContext, params: dict, host: set[str]) -> dict:
    arguments: dict = {"network_mode": "none"}
    wanted = params.get("network", "none")
    if wanted.startswith("container:"):
        arguments["network_mode"] = "container:" + ctx.containers[wanted.removeprefix("container:")].id
    elif wanted != "none":
        engine_network = network(ctx, wanted)
        arguments = {"network": engine_network}
        if params.get("name"):
            # Other containers on the network reach this one by its scenario name.
            endpoint = ctx.client.api.create_endpoint_config(aliases=[params["name"]])
            arguments["networking_config"] = {engine_network: endpoint}
    for key in ("pid", "ipc"):
        if params.get(key):
            arguments[f"{key}_mode"] = (
                "container:" + ctx.containers[params[key].removeprefix("container:")].id
            )
    name = params.get("name")
    if name and any(step.params.get("ipc") == f"container:{name}" for step in ctx.scenario.steps):
        arguments["ipc_mode"] = "shareable"  # the engine's default IPC namespace cannot be joined
    if "host-network" in host:
        arguments = {key: value for key, value in arguments.items() if not key.startswith("network")}
        arguments["network_mode"] = "host"
    if "host-pid" in host:
        arguments["pid_mode"] = "host"
    return arguments
