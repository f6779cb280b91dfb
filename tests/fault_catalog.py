"""The catalog as `make run` deploys it for production, on the fault suite's private services.

The site under granian, Celery workers and a separate beat process, all talking to a private
PostgreSQL, Redis (broker and page cache) and Docker engine (tests/fault_rig.py), so that each
can be broken without touching what other tests share. Timings are shortened (leases of 6 s,
a reaper every 2 s, back-off from 1 s) so that a fault and its recovery take seconds.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path

import psycopg

from catalog.management.commands.runsite import site_command
from catalog.verifications.models import ACTIVE_STATES
from tests import factories
from tests.conftest import RUN_ID
from tests.fault_rig import PrivateEngine, PrivatePostgres, PrivateRedis, free_port, wait_for

REPO = Path(__file__).resolve().parent.parent
BASE = "busybox:1.35"
LEASE_SECONDS = 6
MIN_FREE_MB = 400
# The product's own list: a row just claimed is "building", and a settle check that forgot it
# once called a round settled while a verification was still under way.
ACTIVE = tuple(state.value for state in ACTIVE_STATES)
# Written by worker/tasks.py when an attempt's scenario ran to its end (before its result is recorded).
RAN_TO_END = re.compile(r"verification (\d+) attempt (\d+) ran to its end")

SLOW = "fault-slow-build"
BIG = "fault-big-layer"
HELLO = "fault-hello"
SLOW_LINE = "building the slow layer"


def write_patterns(tree: Path) -> None:
    """Three small examples: a quick one, one with a slow RUN step, one with a 120 MB layer."""
    factories.write_bases(tree)
    run_step = {"run": {"image": "app"}, "expect": {"exit_code": 0, "output_contains": "hello"}}
    slow_build = {"build": {"image": "app"}, "expect": {"output_contains": SLOW_LINE}}
    tail = 'COPY hello.sh /hello.sh\nENTRYPOINT ["/hello.sh"]\n'
    dockerfiles = {
        HELLO: factories.DOCKERFILE,
        SLOW: f'FROM {BASE}\nRUN sleep 3 && echo "{SLOW_LINE}"\n{tail}',
        BIG: f"FROM {BASE}\nRUN head -c 120000000 /dev/urandom > /blob\n{tail}",
    }
    for index, (slug, dockerfile) in enumerate(dockerfiles.items()):
        steps = [slow_build, run_step] if slug == SLOW else [run_step]
        factories.write_pattern(
            tree,
            slug,
            symbol=factories.symbol_for(index),
            example=factories.scenario(steps=steps),
            files={"Dockerfile": dockerfile, "hello.sh": factories.SCRIPT},
        )


class FaultCatalog:
    """The deployment under test, and what the suite reads of it (rows, logs, engine objects)."""

    def __init__(self, root: Path):
        self.root = root
        # Under /run: short enough for a unix socket's path, and open to the postgres user.
        self.engine = PrivateEngine(Path(f"/run/catalog-faults-{RUN_ID}"), RUN_ID)
        self.redis = PrivateRedis(root / "redis")
        self.postgres = PrivatePostgres(Path(f"/run/catalog-faults-{RUN_ID}-postgres"))
        self.tree = root / "patterns"
        self.port = free_port()
        self.instance = f"faults-{RUN_ID}"
        self.processes: dict[str, subprocess.Popen] = {}
        self.logs: dict[str, Path] = {}
        self._serial = 0

    @property
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in {"CELERY_BROKER_URL", "TEST_DATABASE_URL"}}
        env.update(
            DATABASE_URL=self.postgres.url,
            REDIS_URL=self.redis.url,
            CACHE_URL=self.redis.url.replace("/0", "/1"),
            DOCKER_HOST=self.engine.url,
            PATTERNS_DIR=str(self.tree),
            CATALOG_VAR_DIR=str(self.root / "var"),
            CATALOG_INSTANCE=self.instance,
            VERIFY_EXTRA_LABELS=f"catalog.test-run={RUN_ID}",
            DEBUG="false",
            SECRET_KEY="fault-suite-key-" + RUN_ID,
            ALLOWED_HOSTS="127.0.0.1",
            VERIFY_ON_START="false",
            VERIFY_ALLOW_HOST_ACCESS="false",
            VERIFY_MIN_FREE_MB=str(MIN_FREE_MB),
            VERIFY_LEASE_SECONDS=str(LEASE_SECONDS),
            VERIFY_RETRY_SECONDS="1",
            VERIFY_RETRY_MAX_SECONDS="4",
            VERIFY_WAKE_INTERVAL="1",
            VERIFY_STALE_QUEUED_SECONDS="5",
            REAPER_INTERVAL="2",
            PYTHONUNBUFFERED="1",
        )
        return env

    # --- bringing it up and down -------------------------------------------------------------

    def start(self) -> None:
        self.engine.start()
        self.engine.load_image(BASE)
        self.redis.start()
        self.postgres.create()
        write_patterns(self.tree)
        for command in (
            ["migrate", "--noinput"],
            ["collectstatic", "--noinput", "-v", "0"],
            ["sync_patterns"],
        ):
            self.manage(*command)
        self.start_site()
        self.start_worker("worker")
        self.start_beat()
        wait_for(lambda: self.status_of("/healthz") == 200, 60, "the site never answered")

    def manage(self, *command: str, check: bool = True, timeout: float = 300) -> subprocess.CompletedProcess:
        done = subprocess.run(
            [sys.executable, "manage.py", *command],
            cwd=REPO, env=self.env, capture_output=True, text=True, timeout=timeout,
        )  # fmt: skip
        if check and done.returncode:
            raise AssertionError(
                f"manage.py {' '.join(command)} exited {done.returncode}:\n{done.stderr[-3000:]}"
            )
        return done

    def _spawn(self, name: str, command: list[str]) -> subprocess.Popen:
        self._serial += 1
        log = self.root / f"{name}-{self._serial}.log"
        with log.open("wb") as out:
            process = subprocess.Popen(
                command, cwd=REPO, env=self.env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
            )
        self.processes[name], self.logs[f"{name}-{self._serial}"] = process, log
        return process

    def start_site(self) -> None:
        self._spawn("site", site_command(sys.executable, "127.0.0.1", self.port, dev=False))

    def start_worker(self, name: str) -> None:
        command = [
            sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker", "-Q", "verify,celery",
            "--concurrency", "1", "--loglevel", "info", "--without-gossip", "--without-mingle",
            "-n", f"{name}-{self._serial + 1}@%h",
        ]  # fmt: skip
        self._spawn(name, command)
        wait_for(lambda: " ready." in self.log_text(name), 60, f"{name} never became ready")

    def start_beat(self) -> None:
        schedule = self.root / f"beat-schedule-{self._serial + 1}"
        command = [sys.executable, "-m", "celery", "-A", "worker.celery_app", "beat", "-s", str(schedule)]
        self._spawn("beat", command)

    def kill(self, name: str) -> None:
        """kill -9 of the whole process group: no handler runs, nothing is cleaned up."""
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop(self, name: str) -> None:
        process = self.processes.pop(name)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=40)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def close(self) -> None:
        for name in list(self.processes):
            with contextlib.suppress(Exception):
                self.kill(name)
        for service in (self.postgres, self.redis, self.engine):
            with contextlib.suppress(Exception):
                service.close()

    # --- what the suite reads ----------------------------------------------------------------

    def log_text(self, name: str) -> str:
        key = max(
            (k for k in self.logs if k.rsplit("-", 1)[0] == name), key=lambda k: int(k.rsplit("-", 1)[1])
        )
        return self.logs[key].read_text(errors="replace")

    def completions(self) -> Counter:
        """How many attempts ran to their end, per verification, across every worker ever started."""
        counts: Counter = Counter()
        for name, log in self.logs.items():
            if "worker" in name:
                counts.update(int(m.group(1)) for m in RAN_TO_END.finditer(log.read_text(errors="replace")))
        return counts

    def rows(self, ids: list[int] | None = None) -> list[dict]:
        query = (
            "SELECT v.id, v.state, v.failure_reason, v.detail, v.attempt, v.log, p.slug"
            " FROM catalog_verification v JOIN catalog_example e ON e.id = v.example_id"
            " JOIN catalog_pattern p ON p.id = e.pattern_id"
        )
        with psycopg.connect(
            self.postgres.url.replace("postgres://", "postgresql://"), connect_timeout=5
        ) as db:
            cursor = db.cursor(row_factory=psycopg.rows.dict_row)
            if ids is None:
                return cursor.execute(query + " ORDER BY v.id").fetchall()
            return cursor.execute(query + " WHERE v.id = ANY(%s) ORDER BY v.id", [ids]).fetchall()

    def row_of(self, ids: list[int], slug: str) -> dict:
        return next(row for row in self.rows(ids) if row["slug"] == slug)

    def status_of(self, path: str) -> int:
        import urllib.error
        import urllib.request

        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{self.port}{path}", timeout=5) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code
        except OSError:
            return 0

    def leaked(self) -> list[str]:
        """The worker's containers, volumes, networks and images still on the engine."""
        selector = {"label": ["catalog.owner=worker", f"catalog.instance={self.instance}"]}
        found = []
        with self.engine.client(timeout=30) as client:
            found += [f"container {c.name}" for c in client.containers.list(all=True, filters=selector)]
            found += [f"volume {v.name}" for v in client.volumes.list(filters=selector)]
            found += [f"network {n.name}" for n in client.networks.list(filters=selector)]
            found += [f"image {i.short_id}" for i in client.images.list(all=True, filters=selector)]
        return found
