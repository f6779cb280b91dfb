"""Load benchmark: the production set-up under 32 clients while its worker verifies the whole catalog."""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import signal
import subprocess
import sys
import time
import traceback
from collections import Counter
from contextlib import ExitStack
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import django
from django.db import connections
from load_setup import (
    claim_redis_databases,
    create_database,
    drop_database,
    load_environment,
    redis_url,
    release_redis_databases,
    remove_docker_objects,
    require_tools,
)
from pages import (
    HOST,
    SECONDS_PER_UNIT,
    Load,
    fetch,
    first_pattern_path,
    free_port,
    parse_wrk,
    scratch_dir,
    start,
    stop,
    wait_for,
)
from verify_environment import ROOT, checked, manage
from verify_worker import start_worker, stop_worker

from catalog.management.commands.runsite import SITE_THREADS, SITE_WORKERS, site_command

if TYPE_CHECKING:  # imported in run(), after django.setup()
    from load_freshness import FreshnessChecker

# Seconds for the results of runs under way at the end of the window before the worker is stopped.
DRAIN_SECONDS = 300


@dataclass(frozen=True)
class Options:
    duration: int
    connections: int
    sample: int


@dataclass(frozen=True)
class Window:
    queued: str  # what `verify` said
    verify_failed: bool
    finished: Counter[str]  # results recorded during the window, by state
    after: str  # what happened to the rest


@dataclass(frozen=True)
class PageLoad:
    path: str
    connections: int
    load: Load
    p50_latency: float  # seconds


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=60, help="seconds of load")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections, split over the 2 pages")
    parser.add_argument("--sample", type=int, default=20, help="results checked for staleness, at most")
    options = Options(**vars(parser.parse_args()))
    if options.connections < 2 or options.duration < 1:
        parser.error("at least 2 connections and 1 second")
    return options


def interrupted(signum: int, frame: object) -> None:
    # A kill reaches the clean-up as Ctrl-C does.
    raise KeyboardInterrupt


def start_wrk(url: str, connections: int, duration: int) -> subprocess.Popen:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency", url]
    return subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def page_load(path: str, connections: int, output: str) -> PageLoad:
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)$", output, re.M)
    if p50 is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    latency = float(p50.group(1)) * SECONDS_PER_UNIT[p50.group(2)]
    return PageLoad(path, connections, parse_wrk(output, 0.0), latency)


def warm(base: str) -> str:
    """Every pattern's API page and the two loaded pages in the page cache; returns the pattern page."""
    _, home = fetch(f"{base}/")
    _, listing = fetch(f"{base}/api/patterns.json")
    for slug in re.findall(rb'"slug": "([a-z0-9-]+)"', listing):
        fetch(f"{base}/api/patterns/{slug.decode()}.json")
    path = first_pattern_path(home)
    for page in ("/", path):
        for _ in range(10):  # each granian process fills its own memo
            fetch(f"{base}{page}")
    return path


def report(pages: list[PageLoad], options: Options, window: Window, checker: FreshnessChecker) -> bool:
    """Prints the figures and the verdict; True when nothing failed."""
    print(
        f"\n{options.duration} s, {options.connections} connections (one wrk -t1 per page), granian "
        f"--workers {SITE_WORKERS} --blocking-threads {SITE_THREADS}, Redis cache and broker, PostgreSQL"
    )
    print(f"{'page':32} {'conns':>5} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>6}")
    for page in pages:
        load = page.load
        print(
            f"{page.path:32} {page.connections:5d} {load.requests_per_second:8.0f} "
            f"{page.p50_latency * 1e3:8.1f} {load.p99_latency * 1e3:8.1f} {load.errors:6d}"
        )
    errors = sum(page.load.errors for page in pages)
    total = sum(page.load.requests_per_second for page in pages)
    print(f"{'both':32} {options.connections:5d} {total:8.0f} {'':8} {'':8} {errors:6d}")
    by_state = ", ".join(f"{count} {state}" for state, count in sorted(window.finished.items())) or "none"
    print(f"\nverify --all --force: {window.queued}")
    print(f"finished during the window: {sum(window.finished.values())} ({by_state})")
    print(f"after the window: {window.after}")
    results = checker.results
    stale = [result for result in results if result.stale]
    shown = [result.shown_after for result in results if result.shown_after is not None]
    print(
        f"freshness: {len(results)} result(s) checked, bound {checker.bound} s, {len(stale)} stale; "
        f"first shown at most {max(shown, default=0):.3f} s after the bump was first read"
    )
    for result in results:
        landed = result.landed
        verdict = f"STALE: {result.stale}" if result.stale else f"shown after {result.shown_after:.3f} s"
        print(f"  {landed.pattern}/{landed.example} verification {landed.pk} {landed.state}: {verdict}")
    failures = [f"{errors} request error(s) (non-2xx or socket)"] if errors else []
    failures += [f"verify failed: {window.queued}"] if window.verify_failed else []
    failures += [f"{len(stale)} page(s) stale after the bound"] if stale else []
    failures += ["no verification finished during the window: freshness unchecked"] if not results else []
    failures += ["the freshness check failed:\n" + checker.error] if checker.error else []
    failures += ["the generation watcher failed:\n" + checker.watcher.error] if checker.watcher.error else []
    print("\nPASS" if not failures else "\nFAIL: " + "; ".join(failures))
    return not failures


def prepare(run_id: str, cleanup: ExitStack) -> tuple[Path, dict[str, str]]:
    """Redis databases, a PostgreSQL database and a synced catalog; Django set up in this process."""
    scratch = cleanup.enter_context(scratch_dir())
    databases = claim_redis_databases(2, run_id)
    cleanup.callback(release_redis_databases, databases, run_id)
    database = f"catalog_load_{os.getpid()}"
    database_url = create_database(database)
    cleanup.callback(drop_database, database)
    cleanup.callback(connections.close_all)
    # One snapshot of patterns/, so an edit made meanwhile changes nothing under way.
    tree = shutil.copytree(ROOT / "patterns", scratch / "patterns")
    cache, broker = redis_url(databases[0]), redis_url(databases[1])
    env = load_environment(scratch / "var", tree, database_url, cache, broker, run_id)
    for command in (("migrate", "--noinput"), ("sync_patterns",), ("collectstatic", "--noinput")):
        checked(manage(env, *command))
    # The bench reads the site's cache, database and settings as the site does.
    os.environ.update(env, DJANGO_SETTINGS_MODULE="catalog.settings")
    django.setup()
    return scratch, env


def serve(scratch: Path, env: dict[str, str], run_id: str, cleanup: ExitStack) -> str:
    """The worker and granian as `runsite` starts them; returns the site's address."""
    cleanup.callback(report_clean_up, run_id)
    worker = start_worker({**env, "LOG_LEVEL": "INFO"}, scratch / "worker.log", run_id)
    cleanup.callback(stop_worker, worker)
    port = free_port()
    site = start(site_command(sys.executable, HOST, port, dev=False), scratch / "site.log", env=env, cwd=ROOT)
    cleanup.callback(stop, [site])
    base = f"http://{HOST}:{port}"
    wait_for(f"{base}/healthz", site)
    return base


def run(options: Options, run_id: str, cleanup: ExitStack) -> bool:
    require_tools()
    scratch, env = prepare(run_id, cleanup)
    from django.conf import settings
    from load_freshness import FreshnessChecker, GenerationWatcher
    from load_verifications import outcomes, queued_count, wind_down

    base = serve(scratch, env, run_id, cleanup)
    # Runs under way at the end finish (bounded), before the worker stops; also after an error.
    cleanup.callback(wind_down, DRAIN_SECONDS)
    path = warm(base)
    watcher = GenerationWatcher()
    watcher.start()
    cleanup.callback(watcher.stop)
    started = time.time()
    checker = FreshnessChecker(base, watcher, settings.PAGE_CACHE_POLL_SECONDS, started, options.sample)
    checker.start()
    cleanup.callback(checker.stop)
    shares = {"/": options.connections // 2, path: options.connections - options.connections // 2}
    loads = {page: start_wrk(f"{base}{page}", n, options.duration) for page, n in shares.items()}
    cleanup.callback(stop, list(loads.values()))
    verify = manage(env, "verify", "--all", "--force", timeout=options.duration + 120)
    outputs = {page: load.communicate(timeout=options.duration + 30)[0] for page, load in loads.items()}
    ended = time.time()
    checker.finish(ended, grace=10 + checker.bound)
    pages = [page_load(page, shares[page], output) for page, output in outputs.items()]
    queued = verify.stdout.strip() if verify.returncode == 0 else (verify.stdout + verify.stderr)[-2000:]
    finished = outcomes(started, ended)
    cancelled, running = wind_down(DRAIN_SECONDS)
    after = (
        f"{sum(outcomes(ended, time.time()).values())} more finished, "
        f"{cancelled} cancelled before starting, {running} still running when the worker was stopped"
    )
    window = Window(f"{queued} ({queued_count()} rows)", verify.returncode != 0, finished, after)
    return report(pages, options, window, checker)


def report_clean_up(run_id: str) -> None:
    left = remove_docker_objects(run_id)
    print(
        f"left on the engine: {', '.join(left)}" if left else f"removed every Docker object of run {run_id}"
    )


def main() -> int:
    options = parse_options()
    signal.signal(signal.SIGTERM, interrupted)
    run_id = secrets.token_hex(4)
    print(f"load run {run_id}: {options.duration} s, {options.connections} connections", flush=True)
    with ExitStack() as cleanup:
        try:
            return 0 if run(options, run_id, cleanup) else 1
        except KeyboardInterrupt:
            print("\ninterrupted: cleaning up", flush=True)
            return 130
        except Exception:
            traceback.print_exc()
            print("\nFAIL: the benchmark did not complete")
            return 1


if __name__ == "__main__":
    sys.exit(main())
