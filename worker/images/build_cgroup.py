"""A cgroup the engine makes for an untrusted build, so that the RUN containers' processes are limited too.

The build API has no process limit (moby#43056): a fork bomb in RUN reaches the host's. The
engine gives any container it runs a cgroup with its pids, memory and CPU limits, so a holder
container that only sleeps gets one, and the build's `cgroupparent` places every RUN container
inside it: the holder's limits then hold for all of them together, whatever the Dockerfile does.

This needs the cgroupfs driver on cgroup v1, where a cgroup with a process in it may have
children (on v2 it may not, and the systemd driver takes only slices as parents). On another
engine `confining_cgroup` raises BuildUnconfined, and untrusted builds wait for one that can.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from pathlib import Path

import docker
from docker.types import LogConfig

from worker.engine.client import engine_errors
from worker.images.build_limits import CPU_PERIOD, BuildLimits
from worker.policy import NOBODY


class BuildUnconfined(RuntimeError):
    """This engine cannot put a build's RUN containers under a cgroup with a process limit."""


@contextlib.contextmanager
def confining_cgroup(
    client: docker.DockerClient,
    image: str,
    labels: Mapping[str, str],
    name: str,
    limits: BuildLimits,
    seconds: float,
) -> Iterator[str]:
    """The cgroup parent (for the build's `cgroupparent`) of a holder running for `seconds` at most."""
    with engine_errors():
        info = client.info()
    driver, version = info.get("CgroupDriver"), str(info.get("CgroupVersion") or "1")
    if driver != "cgroupfs" or version != "1":
        raise BuildUnconfined(
            f"this engine ({driver} driver, cgroup v{version}) cannot limit the processes of an untrusted "
            "build's RUN steps; it needs the cgroupfs driver on cgroup v1"
        )
    api = client.api
    with engine_errors():
        holder = api.create_container(
            image,
            command=["sleep", str(int(max(1.0, seconds)) + 30)],
            labels=dict(labels),
            name=name,
            network_disabled=True,
            user=NOBODY,
            host_config=api.create_host_config(
                # One more process than the build may have: the holder's own sleep.
                pids_limit=limits.pids + 1 if limits.pids else None,
                mem_limit=limits.memory,
                memswap_limit=limits.memory,
                nano_cpus=limits.cpu_quota * 10**9 // CPU_PERIOD if limits.cpu_quota else None,
                cap_drop=["ALL"],
                security_opt=["no-new-privileges:true"],
                read_only=True,
                log_config=LogConfig(type="json-file", config={"max-size": "1m", "max-file": "1"}),
            ),
        )["Id"]
    try:
        with engine_errors():
            api.start(holder)
            path = _cgroup_of(api, holder)
        yield path
    finally:
        with engine_errors():
            api.remove_container(holder, force=True, v=True)


def _cgroup_of(api: docker.APIClient, holder: str) -> str:
    """The holder's pids cgroup, as the engine named it: read from inside, where runc shows the same path.

    gVisor's sandbox shows no host cgroup inside it; the engine's host does, at the sandbox's process
    (the worker beside the sandboxed engine shares its PID namespace). A path that does not end with
    the holder's id is someone else's, and the build is not confined.
    """
    exec_id = api.exec_create(holder, ["cat", "/proc/self/cgroup"], stdout=True, stderr=True)["Id"]
    path = _pids_path(api.exec_start(exec_id).decode(errors="replace"))
    if path.rstrip("/").endswith(holder):
        return path
    pid = (api.inspect_container(holder).get("State") or {}).get("Pid") or 0
    with contextlib.suppress(OSError):  # not this host's process: judged below by the path inside
        path = _pids_path(Path(f"/proc/{int(pid)}/cgroup").read_text()) if pid else path
    if not path.rstrip("/").endswith(holder):
        raise BuildUnconfined(f"the engine's cgroup of a build holder is not its own ({path or 'none'})")
    return path


def _pids_path(proc_cgroup: str) -> str:
    """The pids hierarchy's path in a /proc/<pid>/cgroup text ("" when it has none)."""
    lines = proc_cgroup.splitlines()
    return next((line.split(":", 2)[2] for line in lines if line.split(":")[1:2] == ["pids"]), "")
