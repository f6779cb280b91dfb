"""Verification benchmark: the worker against a plain shell loop of docker build and docker run."""

from __future__ import annotations

import argparse
import math
import secrets
import shutil
import subprocess
import sys
import tempfile
import traceback
from dataclasses import dataclass
from pathlib import Path

import docker

# Run as a script, so bench/ is first on sys.path: its verify_* siblings import by their own names.
from verify_engine import remove_everything, remove_images, same_engine
from verify_environment import ROOT, bench_env, checked, manage, offset_verification_ids
from verify_examples import Example, Timing, load_examples
from verify_loop import run_loop
from verify_records import worker_timing
from verify_report import Round, report
from verify_worker import WorkerRun, run_worker, start_worker, stop_worker

from worker.engine.client import connect


@dataclass(frozen=True)
class Options:
    rounds: int
    only: list[str]


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="rounds; medians are reported")
    parser.add_argument("--only", nargs="+", default=[], metavar="SLUG", help="only these patterns")
    return Options(**vars(parser.parse_args()))


def run_round(
    number: int, examples: list[Example], env: dict[str, str], options: Options, scratch: Path,
    client: docker.DockerClient, run_id: str, worker_pid: int,
) -> Round:  # fmt: skip
    made: list[str] = []
    loop: tuple[float, float, dict[str, Timing]] = (math.nan, math.nan, {})
    worker: WorkerRun | None = None
    # Swapping the order every round spreads any drift of the machine over both sides.
    for side in ("loop", "worker") if number % 2 == 0 else ("worker", "loop"):
        # Both sides start without this bench's images, so the build cache is the same for both.
        remove_images(client, run_id, made)
        if side == "loop":
            loop = run_loop(examples, scratch, run_id, made)
        else:
            worker = run_worker(env, examples, options.only, worker_pid, scratch / "worker.log")
    remove_images(client, run_id, made)
    names = {example.name: example for example in examples}
    timings = {row.example: worker_timing(names[row.example], row) for row in worker.rows}
    print(
        f"round {number + 1}: loop {loop[0]:.1f} s, worker cold {worker.cold:.1f} s, "
        f"unchanged {worker.unchanged:.2f} s",
        flush=True,
    )
    for failure in worker.failures:
        print(f"  FAILED {failure}", flush=True)
    return Round(*loop, worker, timings)


def main() -> int:
    options = parse_options()
    run_id = secrets.token_hex(4)
    client = connect()
    scratch = Path(tempfile.mkdtemp(prefix="catalog-bench-verify-"))
    worker: subprocess.Popen | None = None
    rounds: list[Round] = []
    status = 0
    try:
        same_engine(client)
        # One snapshot of patterns/ for both sides, so an edit made meanwhile cannot split them.
        tree = shutil.copytree(ROOT / "patterns", scratch / "patterns")
        examples = load_examples(tree, options.only)
        env = bench_env(scratch / "var", tree, run_id)
        checked(manage(env, "migrate", "--noinput"))
        offset_verification_ids(scratch / "var" / "catalog.sqlite3")
        checked(manage(env, "sync_patterns"))
        worker = start_worker(env, scratch / "worker.log", run_id)
        print(f"bench {run_id}: {len(examples)} example(s), {options.rounds} round(s)", flush=True)
        for number in range(options.rounds):
            rounds.append(run_round(number, examples, env, options, scratch, client, run_id, worker.pid))
        status = 1 if any(r.worker.failures for r in rounds) else 0
    except Exception:
        traceback.print_exc()
        if worker is not None:
            print((scratch / "worker.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        status = 1
    finally:
        if worker is not None:
            stop_worker(worker)
        try:
            remove_everything(client, run_id)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    if rounds:
        report(rounds, examples)
    return status


if __name__ == "__main__":
    sys.exit(main())
