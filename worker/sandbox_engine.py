"""The sandboxed engine for untrusted work: its client, and whether it answers and runs gVisor.

The engine itself is `.ci/sandbox-engine.sh` (a second dockerd, no network, runsc as its default
runtime); `make engine` and `make test` start it. Untrusted work never falls back to the main engine:
a caller that finds it not ready waits, and shows the problem sentence.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import docker
import requests
from docker.errors import DockerException

from worker.engine.check import fix_command
from worker.engine.client import CLIENT_TIMEOUT, EngineUnavailable, connect

# The Celery queue of untrusted work; only runsite's second worker, on the sandboxed engine, consumes it.
SANDBOX_QUEUE = "sandbox"
# The sandbox worker's Celery name starts so: the catalog's status reads the main engine's workers only.
SANDBOX_WORKER = "sandbox@"
RUNTIME = "runsc"
# gVisor alone does not stop a RUN step from sending data out: the runtime must run without a network.
RUNTIME_ARGS = ("--network=none",)
CHECK_TIMEOUT = 10  # seconds: a missing engine answers at once, a busy one may be slow


@dataclass(frozen=True)
class SandboxStatus:
    """What the sandboxed engine is: it answers, with which default runtime, and what stops untrusted work."""

    answers: bool
    runtime: str = ""  # its default runtime; "" when it does not answer
    problem: str = ""  # a sentence for the contributor's page and the logs; "" when it is ready

    @property
    def ready(self) -> bool:
        return not self.problem


def sandbox_client(base_url: str, timeout: int = CLIENT_TIMEOUT) -> docker.DockerClient:
    """A client for the sandboxed engine at base_url (settings.SANDBOX_DOCKER_HOST); raises EngineUnavailable.

    Never DOCKER_HOST's or the CLI context's engine: base_url is required, so a missing setting cannot
    send untrusted work to the main engine.
    """
    if not base_url:
        raise EngineUnavailable("no sandboxed engine is configured (SANDBOX_DOCKER_HOST is empty)")
    return connect(base_url, timeout=timeout)


def sandbox_status(base_url: str) -> SandboxStatus:
    """Whether the sandboxed engine at base_url answers and runs containers in gVisor without a network."""
    fix = f"start it: {fix_command('engine')}"
    socket = base_url.removeprefix("unix://") if base_url.startswith("unix://") else ""
    if not base_url or (socket and not Path(socket).exists()):
        where = f"nothing at {socket}" if socket else "SANDBOX_DOCKER_HOST is empty"
        return SandboxStatus(answers=False, problem=f"The sandboxed engine is missing ({where}); {fix}.")
    try:
        client = sandbox_client(base_url, timeout=CHECK_TIMEOUT)
    except EngineUnavailable as error:
        return SandboxStatus(
            answers=False, problem=f"The sandboxed engine at {base_url} does not answer ({error}); {fix}."
        )
    try:
        info = client.info()
    except (DockerException, requests.RequestException) as error:
        return SandboxStatus(
            answers=False, problem=f"The sandboxed engine at {base_url} failed to answer ({error}); {fix}."
        )
    finally:
        client.close()
    runtime = str(info.get("DefaultRuntime") or "")
    if runtime != RUNTIME:
        return SandboxStatus(
            answers=True,
            runtime=runtime,
            problem=(
                f"The engine at {base_url} runs containers with {runtime or 'an unknown runtime'}, "
                f"not gVisor's {RUNTIME}: untrusted work must not run there; point SANDBOX_DOCKER_HOST "
                "at the engine `.ci/sandbox-engine.sh start` starts."
            ),
        )
    arguments = (info.get("Runtimes") or {}).get(RUNTIME, {}).get("runtimeArgs") or []
    absent = [argument for argument in RUNTIME_ARGS if argument not in arguments]
    if absent:
        return SandboxStatus(
            answers=True,
            runtime=runtime,
            problem=(
                f"The engine at {base_url} runs gVisor without {' '.join(absent)}: its containers could "
                "reach a network; restart it with `.ci/sandbox-engine.sh stop`, then `start`."
            ),
        )
    return SandboxStatus(answers=True, runtime=runtime)
