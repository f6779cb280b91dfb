"""`manage.py runsite` for real: the site answers, the worker comes up, SIGTERM stops everything."""

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.test_processes import all_gone

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def descendants(pid: int) -> list[int]:
    found = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        for child in map(int, children.read_text().split()):
            found += [child, *descendants(child)]
    return found


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:
            return response.status == 200
    except OSError:
        return False


def wait_until(condition, timeout: float, what: str, site: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if site.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{what} (runsite exit code {site.poll()}); it printed:\n{log.read_text()}")
        time.sleep(0.2)


def start_site(env: dict[str, str], tmp_path: Path) -> tuple[subprocess.Popen, int, Path]:
    """`manage.py runsite` on a free port, logging to a file; (process, port, log)."""
    port, log = free_port(), tmp_path / "runsite.log"
    with log.open("wb") as out:
        site = subprocess.Popen(
            [sys.executable, "manage.py", "runsite", "--port", str(port)],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    return site, port, log


def start_loaded_site(env: dict[str, str], tmp_path: Path) -> tuple[subprocess.Popen, int, Path]:
    """What `make run` does with env: migrate, sync, then runsite."""
    for command in (["migrate", "--noinput"], ["sync_patterns"]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=REPO, env=env, check=True)
    return start_site(env, tmp_path)


def stop_at_last(site: subprocess.Popen, docker_client=None) -> None:
    """In a `finally`: the site is killed if still running, and its worker's images removed."""
    from tests.conftest import RUN_ID
    from worker.images.builder import remove_images

    with contextlib.suppress(ProcessLookupError):
        site.kill()
    site.wait(timeout=5)
    if docker_client is not None:
        remove_images(docker_client, {"catalog.test-run": RUN_ID, "catalog.owner": "worker"})


@pytest.fixture
def site_env(tmp_path) -> dict[str, str]:
    """`make run`'s embedded defaults (SQLite, filesystem broker), all under a temporary var/."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "CACHE_URL"}}
    env.pop("CELERY_BROKER_URL", None)
    env.update(CATALOG_VAR_DIR=str(tmp_path / "var"), DEBUG="true", PYTHONUNBUFFERED="1")
    return env


def test_runsite_serves_runs_a_worker_and_stops_cleanly_on_sigterm(site_env, tmp_path):
    site, port, log = start_site(site_env, tmp_path)
    family: list[int] = []
    try:
        healthy = f"http://127.0.0.1:{port}/healthz"
        wait_until(lambda: answers(healthy), 60, "no answer from /healthz", site, log)
        wait_until(lambda: " ready." in log.read_text(), 60, "no Celery worker ready", site, log)
        assert f"Catalog running at http://127.0.0.1:{port}/" in log.read_text()
        family = descendants(site.pid)
        assert len(family) >= 2  # runserver, the Celery worker and its pool/beat processes

        site.send_signal(signal.SIGTERM)
        assert site.wait(timeout=20) == 0, log.read_text()
        assert all_gone(family), f"left running: {[pid for pid in family if Path(f'/proc/{pid}').exists()]}"
    finally:
        for pid in [site.pid, *family]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        site.wait(timeout=5)


def test_runsite_verifies_examples_that_were_never_verified(site_env, tmp_path, docker_client):
    from tests import factories
    from tests.conftest import RUN_ID

    tree = tmp_path / "patterns"
    factories.write_tree(tree, count=1)
    site_env.update(PATTERNS_DIR=str(tree), VERIFY_EXTRA_LABELS=f"catalog.test-run={RUN_ID}")
    site, port, log = start_loaded_site(site_env, tmp_path)
    api = f"http://127.0.0.1:{port}/api/patterns/pattern-0.json"

    def verified() -> bool:
        if not answers(api):
            return False
        with urllib.request.urlopen(api, timeout=5) as response:
            verification = json.load(response)["examples"][0]["verification"]
        return bool(verification) and verification["state"] == "passed"

    try:
        wait_until(verified, 120, "the example was never verified", site, log)
        site.send_signal(signal.SIGTERM)
        assert site.wait(timeout=20) == 0, log.read_text()
    finally:
        stop_at_last(site, docker_client)
