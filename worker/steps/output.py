"""Reading what containers and execs print, live and capped, from threads the runner never waits on blindly.

Attach and exec streams have no timeout in docker-py (it disables the socket
timeout), so they are read in daemon threads and the runner bounds its waits.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import docker

from worker.capped_log import OUTPUT_LIMIT, CappedLog


class ContainerOutput:
    """Everything a container prints, read through attach from before it starts.

    `attach(stream=True, logs=True)` rather than `logs(follow=True)`: under log
    rotation a follow stream can end while the container still runs. At the
    output limit the reader kills the container, so a flood cannot fill the disk.
    """

    def __init__(self, client: docker.DockerClient, container_id: str, limit: int = OUTPUT_LIMIT):
        self.client, self.container_id, self.limit = client, container_id, limit
        self.log = CappedLog()
        self.exceeded = threading.Event()
        self.done = threading.Event()
        stream = client.api.attach(container_id, stdout=True, stderr=True, stream=True, logs=True)
        self._thread = threading.Thread(
            target=self._read, args=(stream,), daemon=True, name="container-output"
        )
        self._thread.start()

    def _read(self, stream) -> None:
        try:
            for chunk in stream:
                self.log.add(chunk)
                if self.log.total > self.limit:
                    self.exceeded.set()
                    self.client.api.kill(self.container_id)
                    break
        except Exception:
            pass  # the stream breaks when the container is removed; what was read is kept
        finally:
            self.done.set()

    def join(self, timeout: float) -> bool:
        """Wait until the stream has ended (the container exited) or timeout seconds pass."""
        return self.done.wait(max(0.0, timeout))

    def text(self) -> str:
        return self.log.text()


@dataclass(frozen=True)
class ExecResult:
    exit_code: int | None  # None when the command was still running at the deadline
    output: str
    duration: float
    timed_out: bool
    exceeded: bool


def run_exec(
    client: docker.DockerClient, container_id: str, command: list[str], *, user: str, deadline: float
) -> ExecResult:
    """Run a command in a running container and stop waiting for it at the deadline.

    The engine has no exec timeout and no exec kill; a command still running at the
    deadline is left to die with its container, and the result says it timed out.
    """
    api = client.api
    exec_id = api.exec_create(container_id, command, stdout=True, stderr=True, user=user)["Id"]
    log, exceeded = CappedLog(), threading.Event()

    def read() -> None:
        try:
            for chunk in api.exec_start(exec_id, stream=True):
                log.add(chunk)
                if log.total > OUTPUT_LIMIT:
                    exceeded.set()
                    break
        except Exception:
            pass  # a broken stream leaves what was read

    started = time.monotonic()
    reader = threading.Thread(target=read, daemon=True, name="exec-output")
    reader.start()
    reader.join(max(0.0, deadline - time.monotonic()))
    duration = time.monotonic() - started
    state = api.exec_inspect(exec_id)
    # The stream can close a moment before the engine records the exit code.
    settle = time.monotonic() + 1.0
    while state.get("Running") and not reader.is_alive() and time.monotonic() < settle:
        time.sleep(0.05)
        state = api.exec_inspect(exec_id)
    running = bool(state.get("Running"))
    return ExecResult(
        exit_code=None if running else state.get("ExitCode"),
        output=log.text(),
        duration=duration,
        timed_out=running and not exceeded.is_set(),
        exceeded=exceeded.is_set(),
    )
