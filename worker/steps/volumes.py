"""Named volumes and networks a scenario declares, created labelled on first use, and files put in volumes."""

from __future__ import annotations

from worker.engine.client import engine_errors
from worker.engine.files import NEVER_STARTED
from worker.images.build_context import Files, context_tar, safe_path
from worker.policy import NOBODY
from worker.steps.context import RunContext, StepFailure

VOLUME_MOUNT = "/volume"
_NO_HOST_ADDRESS = "com.docker.network.bridge.inhibit_ipv4"


def volume(ctx: RunContext, name: str) -> str:
    """The engine name of a declared volume, created and filled from the example's files on first use.

    Under a policy with `volume_bytes` the volume is a tmpfs of that size rather than a folder on
    the engine's disk, which a container could fill file by file: no file-size limit stops that.
    """
    if name not in ctx.volumes:
        ctx.count("volumes", ctx.policy.volumes_max)
        engine_name = ctx.engine_name(f"vol-{name}")
        size = ctx.policy.volume_bytes
        options = {"type": "tmpfs", "device": "tmpfs", "o": f"size={size},nosuid,nodev"} if size else None
        with engine_errors():
            ctx.client.volumes.create(
                name=engine_name, driver="local", driver_opts=options, labels=ctx.labels
            )
        ctx.volumes[name] = engine_name
        if size:
            _keep_mounted(ctx, engine_name)
        spec = next(spec for spec in ctx.scenario.volumes if spec.name == name)
        if spec.files:
            put_files(ctx, engine_name, {dest: ctx.files[source] for dest, source in spec.files.items()})
            ctx.emit(f"volume {name}: filled with {len(spec.files)} file(s)")
    return ctx.volumes[name]


def anonymous_volume(ctx: RunContext, path: str) -> str:
    """A labelled named volume standing in for an anonymous VOLUME, so the cleanup and the reaper find it."""
    engine_name = ctx.helper_name("anon")
    with engine_errors():
        ctx.client.volumes.create(
            name=engine_name, driver="local", labels={**ctx.labels, "catalog.path": path}
        )
    return engine_name


def put_files(ctx: RunContext, volume_name: str, files: Files) -> None:
    """Copy files into a volume through a helper container that is created but never started.

    The archive goes through the engine, so nothing depends on the worker and the
    engine sharing a filesystem (bind mounts resolve on the daemon's host).
    """
    clean = {}
    for path, content in files.items():
        relative = path.lstrip("/")
        if not safe_path(relative):
            raise StepFailure("POLICY_REJECTED", f"{path!r} is not a plain relative path inside a volume")
        clean[relative] = content
    archive = context_tar(clean)
    api = ctx.client.api
    with engine_errors():
        helper = api.create_container(
            ctx.helper_image(),
            command=NEVER_STARTED,
            labels=ctx.labels,
            network_disabled=True,
            name=ctx.helper_name("fill"),
            host_config=api.create_host_config(binds={volume_name: {"bind": VOLUME_MOUNT, "mode": "rw"}}),
        )["Id"]
        try:
            api.put_archive(helper, VOLUME_MOUNT, archive)
        finally:
            api.remove_container(helper, force=True, v=True)


def _keep_mounted(ctx: RunContext, engine_name: str) -> None:
    """Start a container that only holds the tmpfs volume mounted until the run's clean-up.

    The engine mounts a volume with options when a container using it starts and unmounts it when
    the last one stops, and a tmpfs loses its files then: a file one step wrote would be gone
    for the next, and files put in before any container ran (put_files) at once.
    """
    api = ctx.client.api
    with engine_errors():
        keeper = api.create_container(
            ctx.helper_image(),
            command=["sleep", str(int(max(1.0, ctx.remaining())) + 30)],
            labels=ctx.labels,
            name=ctx.helper_name("keep"),
            network_disabled=True,
            user=NOBODY,
            host_config=api.create_host_config(
                binds={engine_name: {"bind": VOLUME_MOUNT, "mode": "ro"}},
                cap_drop=["ALL"],
                security_opt=["no-new-privileges:true"],
                read_only=True,
                pids_limit=4,
                mem_limit=16 * 1024 * 1024,
            ),
        )["Id"]
        api.start(keeper)


def network(ctx: RunContext, name: str) -> str:
    """The engine name of a declared network: an internal bridge, so nothing on it reaches outside.

    Internal still gives the bridge an address on the host, the containers' gateway, where any
    host service listening on all addresses answers; unless the policy lets networks reach the
    host, the bridge gets no address (its containers still reach each other and the engine's DNS).
    """
    if name not in ctx.networks:
        ctx.count("networks", ctx.policy.networks_max)
        engine_name = ctx.engine_name(f"net-{name}")
        options = None if ctx.policy.networks_reach_host else {_NO_HOST_ADDRESS: "true"}
        with engine_errors():
            ctx.client.networks.create(
                engine_name, driver="bridge", internal=True, options=options, labels=ctx.labels
            )
        ctx.networks[name] = engine_name
    return ctx.networks[name]
