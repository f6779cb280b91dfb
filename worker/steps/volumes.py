"""Named volumes and networks a scenario declares, created labelled on first use, and files put in volumes."""

from __future__ import annotations

from worker.engine.client import engine_errors
from worker.engine.files import NEVER_STARTED
from worker.images.build_context import Files, context_tar, safe_path
from worker.steps.context import RunContext, StepFailure

VOLUME_MOUNT = "/volume"


def volume(ctx: RunContext, name: str) -> str:
    """The engine name of a declared volume, created and filled from the example's files on first use."""
    if name not in ctx.volumes:
        engine_name = ctx.engine_name(f"vol-{name}")
        with engine_errors():
            ctx.client.volumes.create(name=engine_name, driver="local", labels=ctx.labels)
        ctx.volumes[name] = engine_name
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


def network(ctx: RunContext, name: str) -> str:
    """The engine name of a declared network: an internal bridge, so nothing on it reaches outside."""
    if name not in ctx.networks:
        engine_name = ctx.engine_name(f"net-{name}")
        with engine_errors():
            ctx.client.networks.create(engine_name, driver="bridge", internal=True, labels=ctx.labels)
        ctx.networks[name] = engine_name
    return ctx.networks[name]
