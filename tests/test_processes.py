"""The process supervisor, with real child processes: stop signals, a dying child, stragglers."""

import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# The supervisor runs in its own process, as under `make run`: it installs signal handlers.
SUPERVISE = """
import json, sys
from catalog.serving.processes import Supervisor
supervisor = Supervisor(json.loads(sys.argv[1]), grace=float(sys.argv[2]))
supervisor.start()
print("children", *(child.pid for child in supervisor.children), flush=True)
sys.exit(supervisor.wait(poll=0.05))
"""
SLEEPER = "import os, time; print('ready', os.getpid(), flush=True); time.sleep(60)"
STUBBORN = (
    "import os, signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('ready', os.getpid(), flush=True); time.sleep(60)"
)
DIES_WITH_3 = "import os, time; print('ready', os.getpid(), flush=True); time.sleep(0.5); raise SystemExit(3)"
# Leaves a grandchild in its process group when SIGTERM kills it, as a Celery pool worker would.
WITH_GRANDCHILD = (
    "import subprocess, sys, time; "
    "g = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)']); "
    "print('ready', g.pid, flush=True); time.sleep(60)"
)


class Supervised:
    """A supervisor process over `python -c` children, and the pids it reported."""

    def __init__(self, *programs: str, grace: float = 10.0) -> None:
        commands = [[sys.executable, "-c", program] for program in programs]
        self.process = subprocess.Popen(
            [sys.executable, "-c", SUPERVISE, json.dumps(commands), str(grace)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.children: list[int] = []
        self.reported: list[int] = []  # what each child printed: its own or its grandchild's pid
        for line in self._lines(count=1 + len(programs), timeout=10):
            word, *pids = line.split()
            (self.children if word == "children" else self.reported).extend(map(int, pids))

    def _lines(self, count: int, timeout: float) -> list[str]:
        lines: list[str] = []
        deadline = time.monotonic() + timeout
        with selectors.DefaultSelector() as selector:
            selector.register(self.process.stdout, selectors.EVENT_READ)
            while len(lines) < count:
                remaining = deadline - time.monotonic()
                assert remaining > 0 and selector.select(remaining), f"only got {lines}"
                lines.append(self.process.stdout.readline())
        return lines

    def cleanup(self) -> None:
        for pid in [self.process.pid, *self.children, *self.reported]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self.process.wait(timeout=5)
        self.process.stdout.close()


def is_running(pid: int) -> bool:
    """True while pid exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except FileNotFoundError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def all_gone(pids: list[int], timeout: float = 3.0) -> bool:
    deadline = time.monotonic() + timeout
    while any(map(is_running, pids)):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def supervise():
    started: list[Supervised] = []

    def start(*programs: str, grace: float = 10.0) -> Supervised:
        started.append(Supervised(*programs, grace=grace))
        return started[-1]

    yield start
    for supervised in started:
        supervised.cleanup()


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
def test_a_stop_signal_stops_every_child_and_exits_zero(supervise, signum):
    supervised = supervise(SLEEPER, SLEEPER)
    started = time.monotonic()
    supervised.process.send_signal(signum)
    assert supervised.process.wait(timeout=5) == 0
    assert time.monotonic() - started < 3
    assert all_gone(supervised.children)


def test_a_child_that_ignores_sigterm_is_killed_after_the_grace_period(supervise):
    supervised = supervise(SLEEPER, STUBBORN, grace=1.0)
    started = time.monotonic()
    supervised.process.send_signal(signal.SIGTERM)
    assert supervised.process.wait(timeout=5) == 0
    assert 1.0 <= time.monotonic() - started < 4
    assert all_gone(supervised.children)


def test_a_child_that_dies_takes_the_supervisor_down_with_its_exit_code(supervise):
    supervised = supervise(SLEEPER, DIES_WITH_3)
    assert supervised.process.wait(timeout=5) == 3
    assert all_gone(supervised.children)


def test_grandchildren_left_in_a_childs_process_group_are_killed(supervise):
    supervised = supervise(WITH_GRANDCHILD)
    grandchild = supervised.reported[0]
    assert is_running(grandchild)
    supervised.process.send_signal(signal.SIGTERM)
    assert supervised.process.wait(timeout=5) == 0
    assert all_gone([*supervised.children, grandchild])
