"""Run a few long-lived commands together, stop them together, and fail if one of them dies."""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from types import FrameType

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class Supervisor:
    """Starts every command, forwards SIGINT/SIGTERM to them, and waits for all of them."""

    def __init__(self, commands: Sequence[Sequence[str]], *, grace: float = 10.0) -> None:
        self.commands = [list(command) for command in commands]
        self.grace = grace
        self.children: list[subprocess.Popen[bytes]] = []
        self._stop_signal: int | None = None

    def start(self) -> None:
        # Handlers go in first, so a signal that arrives while we start cannot orphan a child.
        for signum in STOP_SIGNALS:
            signal.signal(signum, self._request_stop)
        for command in self.commands:
            # Each child leads its own process group: Ctrl-C in the terminal reaches only us,
            # each child gets the signal once (from us), and a kill takes its own children too.
            self.children.append(subprocess.Popen(command, process_group=0))

    def wait(self, poll: float = 0.2) -> int:
        """Block until a stop signal (exit 0) or until a child exits (its code, at least 1)."""
        try:
            while self._stop_signal is None:
                dead = next((child for child in self.children if child.poll() is not None), None)
                if dead is not None:
                    print(
                        f"{shlex.join(dead.args)} exited with {dead.returncode}; stopping the rest",
                        file=sys.stderr,
                    )
                    self.stop(signal.SIGTERM)
                    return dead.returncode if dead.returncode > 0 else 1
                time.sleep(poll)
            self.stop(self._stop_signal)
            return 0
        finally:
            self.stop(signal.SIGKILL)
            for signum in STOP_SIGNALS:
                signal.signal(signum, signal.SIG_DFL)

    def stop(self, signum: int) -> None:
        """Send signum to every live child, give them the grace period, then kill the rest."""
        for child in self.children:
            if child.poll() is None:
                child.send_signal(signum)
        deadline = time.monotonic() + self.grace
        for child in self.children:
            try:
                child.wait(timeout=max(deadline - time.monotonic(), 0))
            except subprocess.TimeoutExpired:
                _kill_group(child.pid)
                child.wait()
            # A child that exited may leave its own children (a pool worker) in its group.
            _kill_group(child.pid)

    def _request_stop(self, signum: int, frame: FrameType | None) -> None:
        if self._stop_signal is not None:
            # A second Ctrl-C means "now", not "wait out the grace period again".
            for child in self.children:
                _kill_group(child.pid)
        self._stop_signal = signum


def _kill_group(pgid: int) -> None:
    # The group is gone when the child and all of its own children have exited.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
