"""Faults lose nothing: each test breaks one thing while the catalog verifies, then lets it recover.

Run alone with `pytest -m faults`. The deployment is the production one (granian, Celery
workers, beat, PostgreSQL, Redis) on private services (tests/fault_catalog.py), shared by the
module's tests; every test is one round (tests/fault_checks.py) and one row of the table
printed at the end: verifications lost, stuck, leaked objects, scenarios run twice, site
errors outside the database's own downtime, and the seconds the catalog took to recover.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import docker
import pytest

from tests.conftest import LABELS, require
from tests.fault_catalog import BIG, HELLO, LEASE_SECONDS, SLOW, FaultCatalog
from tests.fault_checks import Round
from tests.fault_rig import wait_for

pytestmark = pytest.mark.faults


@pytest.fixture(scope="module")
def catalog(tmp_path_factory) -> FaultCatalog:
    require("root", os.geteuid() == 0, "the fault suite mounts a disk and starts a second dockerd")
    for program in ("dockerd", "redis-server", "nsenter", "mkfs.ext4"):
        require(program, shutil.which(program) is not None, "run .ci/services.sh")
    require("PostgreSQL", Path("/usr/lib/postgresql").is_dir(), "run .ci/services.sh")
    deployment = FaultCatalog(tmp_path_factory.mktemp("faults"))
    try:
        deployment.start()
        yield deployment
    finally:
        deployment.close()


def running(row: dict) -> bool:
    """Claimed and building or running (rows are verified in the order of their slugs)."""
    return row["state"] == "running"


def test_dockerd_restarted_mid_build(catalog):
    with Round(catalog, "dockerd restarted mid-build") as round_:
        round_.wait_for_row(SLOW, lambda r: running(r) and "sleep 3" in r["log"], "started its slow RUN step")
        catalog.engine.restart(down_seconds=2)
        round_.fault_removed()
        retried = round_.wait_for_row(
            SLOW, lambda r: r["attempt"] >= 2, "was retried after the engine came back"
        )
        assert retried["failure_reason"] == ""


def test_redis_restarted_mid_run_while_pages_are_served(catalog):
    with Round(catalog, "Redis restarted mid-run, pages served") as round_:
        round_.wait_for_row(HELLO, running, "started")
        catalog.redis.restart(down_seconds=3)
        round_.fault_removed()


def test_postgres_restarted_mid_verification(catalog):
    with Round(catalog, "PostgreSQL restarted mid-verification") as round_:
        round_.wait_for_row(SLOW, lambda r: running(r) and "sleep 3" in r["log"], "started its slow RUN step")
        down = time.monotonic()
        catalog.postgres.stop()
        time.sleep(4)
        catalog.postgres.start()
        round_.site.database_down.append((down, time.monotonic()))
        round_.fault_removed()


def test_engine_disk_below_the_minimum(catalog):
    with Round(catalog, "engine disk below VERIFY_MIN_FREE_MB") as round_:
        round_.wait_for_any(running, "started")
        catalog.engine.fill_disk(leave_mb=250)
        try:
            waiting = round_.wait_for_any(lambda r: r["state"] == "waiting", "waited for disk space")
            assert "MiB free" in waiting["detail"], waiting["detail"]
            time.sleep(3)  # a few back-offs run out while the disk stays full
        finally:
            catalog.engine.empty_disk()
        round_.fault_removed()


def test_worker_killed_during_the_layer_analysis(catalog):
    """Timed on the worker's own log (written at once; the run's log reaches the database a second
    later, and the analysis may take less)."""
    with Round(catalog, "worker kill -9 in the layer analysis") as round_:
        seen = catalog.log_text("worker")
        began, ended = seen.count("analysing image app ("), seen.count("analysed image app (")
        wait_for(
            lambda: catalog.log_text("worker").count("analysing image app (") > began,
            60,
            "the worker never began a layer analysis",
            interval=0.02,
        )
        catalog.kill("worker")
        try:
            finished = catalog.log_text("worker").count("analysed image app (") > ended
            assert not finished, "the analysis ended before the kill"
        finally:
            catalog.start_worker("worker")  # whatever happened, later rounds need a worker
        round_.fault_removed()


def test_beat_dead_for_several_lease_periods(catalog):
    """With beat gone nothing reaps: the killed worker's row stays "running" until beat is back."""
    with Round(catalog, "beat dead for 3 lease periods") as round_:
        catalog.kill("beat")
        round_.wait_for_row(SLOW, lambda r: running(r) and "sleep 3" in r["log"], "started its slow RUN step")
        catalog.kill("worker")
        catalog.start_worker("worker")
        time.sleep(3 * LEASE_SECONDS)
        orphan = catalog.row_of(round_.ids, SLOW)
        assert orphan["state"] == "running", f"something reaped without beat: {orphan['state']}"
        catalog.start_beat()
        round_.fault_removed()


def test_try_example_beside_the_worker(catalog):
    with Round(catalog, "try_example beside the worker") as round_:
        round_.wait_for_row(HELLO, running, "started")
        tried = catalog.manage("try_example", str(catalog.tree / HELLO / "examples" / "hello"), check=False)
        assert tried.returncode == 0, tried.stdout[-2000:] + tried.stderr[-2000:]
        assert "Traceback" not in tried.stderr, tried.stderr[-3000:]


def test_two_workers_on_one_engine(catalog):
    catalog.start_worker("second-worker")
    try:
        with Round(catalog, "two workers on one engine"):
            pass
    finally:
        catalog.stop("second-worker")


def test_a_neighbour_removing_the_catalogs_objects(catalog):
    """As `docker system prune` or a second tool would: containers, volumes, networks and images go."""
    with Round(catalog, "a neighbour removing live objects") as round_:
        round_.wait_for_row(HELLO, running, "started")
        removed = remove_worker_objects_for(catalog, seconds=8)
        assert removed, "the neighbour found nothing of the worker's to remove"
        round_.fault_removed()


def remove_worker_objects_for(catalog: FaultCatalog, seconds: float) -> int:
    """Every half second, force-remove whatever carries the worker's label; returns how many went."""
    selector = {"label": ["catalog.owner=worker"]}
    removed, deadline = 0, time.monotonic() + seconds
    with catalog.engine.client(timeout=30) as client:
        while time.monotonic() < deadline:
            doomed = [
                *(
                    lambda c=c: c.remove(force=True, v=True)
                    # sparse: no inspect per container, which fails for one removed meanwhile
                    for c in client.containers.list(all=True, filters=selector, sparse=True)
                ),
                *(n.remove for n in client.networks.list(filters=selector)),
                *(v.remove for v in client.volumes.list(filters=selector)),
                *(
                    lambda i=i: client.images.remove(i.id, force=True)
                    for i in client.images.list(filters=selector)
                ),
            ]
            for remove in doomed:
                try:
                    remove()
                    removed += 1
                except docker.errors.APIError:  # gone already, or in use: the neighbour does not care
                    pass
            time.sleep(0.5)
    return removed


def test_a_cpu_and_process_hungry_neighbour(catalog):
    hog = subprocess.Popen(
        [sys.executable, "-c", HOG_PROGRAM], start_new_session=True, stdout=subprocess.DEVNULL
    )
    try:
        with Round(catalog, "CPU- and process-hungry neighbour"):
            pass
    finally:
        os.killpg(hog.pid, signal.SIGKILL)  # the hog, its busy children and its sleepers
        hog.wait(timeout=10)


# Two busy loops per core and 300 sleeping processes: the machine saturated, as a neighbour would.
HOG_PROGRAM = """
import os, subprocess, sys
sleepers = [subprocess.Popen(["sleep", "600"]) for _ in range(300)]
for _ in range(2 * os.cpu_count()):
    if os.fork() == 0:
        while True:
            pass
os.wait()
"""


def test_the_same_dockerfiles_built_by_hand_before_and_during_the_run(catalog):
    """A reader's identical builds fill the engine's cache; a verification's first build stays cold."""
    built = build_by_hand(catalog)
    during = threading.Thread(target=build_by_hand, args=(catalog,), daemon=True)
    try:
        with Round(catalog, "same Dockerfiles built by hand") as round_:
            round_.wait_for_row(HELLO, running, "started")
            during.start()
        slow = catalog.row_of(round_.ids, SLOW)
        assert slow["state"] == "passed" and "building the slow layer" in slow["log"]
    finally:
        if during.is_alive():  # not started when the round failed before the run began
            during.join(timeout=60)
        with catalog.engine.client() as client:
            for image in client.images.list(
                filters={"label": f"catalog.test-run={LABELS['catalog.test-run']}"}
            ):
                client.images.remove(image.id, force=True)
    assert built == 3


def build_by_hand(catalog: FaultCatalog) -> int:
    """`docker build` of each example folder, as a reader following the page would (labelled ours)."""
    count = 0
    for slug in (HELLO, SLOW, BIG):
        folder = catalog.tree / slug / "examples" / "hello"
        label = [f"--label={key}={value}" for key, value in LABELS.items()]
        subprocess.run(
            ["docker", "-H", catalog.engine.url, "build", "-q", *label, "-t", f"by-hand-{slug}", str(folder)],
            check=True, capture_output=True, env={**os.environ, "DOCKER_BUILDKIT": "0"},
        )  # fmt: skip
        count += 1
    return count
