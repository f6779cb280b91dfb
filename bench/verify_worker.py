"""The worker side: one Celery worker, and the cold and unchanged verify commands timed against it."""

from __future__ import annotations

import math
import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from verify_cpu import children_cpu, tree_cpu
from verify_environment import PYTHON, ROOT, checked, manage
from verify_examples import Example
from verify_records import Row, breakdown, received_times, verification_rows


@dataclass(frozen=True)
class WorkerRun:
    cold: float
    cpu: float  # the worker's processes and the verify command, during the cold run
    unchanged: float  # nan when the cold run did not pass: re-verifying would redo work
    rows: list[Row]
    breakdown: dict[str, float]
    failures: list[str]


def start_worker(env: dict[str, str], log: Path, run_id: str) -> subprocess.Popen:
    """One worker as tests/worker_process.py starts it (no beat: its reaper is not ours to run)."""
    command = [PYTHON, "-m", "celery", "-A", "worker.celery_app", "worker", "-Q", "verify,celery"]
    command += ["--concurrency", "1", "--loglevel", "info", "--without-gossip", "--without-mingle"]
    command += ["-n", f"bench-{run_id}@%h"]
    with log.open("ab") as out:
        # Its own process group: stopping it reaches the pool children too.
        options = {
            "cwd": ROOT,
            "env": env,
            "stdout": out,
            "stderr": subprocess.STDOUT,
            "start_new_session": True,
        }
        process = subprocess.Popen(command, **options)
    deadline = time.monotonic() + 60
    while " ready." not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    return process


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


def run_worker(
    env: dict[str, str], examples: list[Example], only: list[str], worker: int, log: Path
) -> WorkerRun:
    """verify --force --wait (cold), then verify --wait (unchanged), each timed from the command's start."""
    database = Path(env["CATALOG_VAR_DIR"]) / "catalog.sqlite3"
    selection = only or ["--all"]
    cpu = children_cpu() + tree_cpu(worker)
    since, started = time.time(), time.monotonic()
    cold = manage(env, "verify", *selection, "--force", "--wait", timeout=3600)
    cold_seconds, ended = time.monotonic() - started, time.time()
    cpu = children_cpu() + tree_cpu(worker) - cpu
    rows = verification_rows(database, since)
    seen = {row.example for row in rows}
    failures = [
        f"{row.example}: {row.state} {row.reason or '-'}: {row.detail}"
        for row in rows
        if row.state != "passed"
    ]
    failures += [f"{example.name}: never queued" for example in examples if example.name not in seen]
    if cold.returncode != 0 and not failures:
        failures.append(f"verify failed:\n{cold.stdout[-2000:]}{cold.stderr[-2000:]}")
    parts = breakdown(rows, received_times(log, since), since, ended)
    if failures:
        return WorkerRun(cold_seconds, cpu, math.nan, rows, parts, failures)
    started = time.monotonic()
    output = checked(manage(env, "verify", *selection, "--wait"))
    unchanged = time.monotonic() - started
    if not output.startswith("queued 0,"):
        failures.append(f"verify of the unchanged catalog queued work: {output.strip()}")
    return WorkerRun(cold_seconds, cpu, unchanged, rows, parts, failures)
