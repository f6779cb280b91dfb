"""Start and stop a real `celery worker` process for tests, against the test database and Redis."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

from django.db import connection

from tests.conftest import RUN_ID

ROOT = Path(__file__).resolve().parent.parent


def database_url() -> str:
    """The test database, as a URL the worker's settings understand."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{settings['NAME']}"
    return (
        f"postgres://{settings['USER']}:{settings['PASSWORD']}@{settings['HOST']}:{settings['PORT']}"
        f"/{settings['NAME']}"
    )


class WorkerProcess:
    """One worker (optionally with beat) in its own process group, logging to a file."""

    def __init__(self, log_dir: Path, *, beat: bool = False, **env: str):
        self.name = f"test-{uuid.uuid4().hex[:8]}"
        self.log_path = log_dir / f"{self.name}.log"
        command = [
            sys.executable, "-m", "celery", "-A", "worker.celery_app", "worker",
            "-Q", "verify,celery", "--concurrency", "1", "--loglevel", "info",
            "--without-gossip", "--without-mingle", "-n", f"{self.name}@%h",
        ]  # fmt: skip
        if beat:
            command += ["--beat", "--schedule", str(log_dir / f"{self.name}-beat")]
        environment = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "VERIFY_EXTRA_LABELS": f"catalog.test-run={RUN_ID}",
            "VERIFY_ON_START": "false",
            **env,
        }
        self.log_file = self.log_path.open("w")
        self.process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=environment,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill -9 reaches the pool children too
        )

    def log(self) -> str:
        self.log_file.flush()
        return self.log_path.read_text(errors="replace")

    def wait_for_log(self, text: str, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log():
            if self.process.poll() is not None:
                raise AssertionError(f"worker exited with {self.process.returncode}:\n{self.log()[-4000:]}")
            if time.monotonic() > deadline:
                raise AssertionError(f"worker never logged {text!r}:\n{self.log()[-4000:]}")
            time.sleep(0.2)

    def kill(self) -> None:
        """kill -9 of the whole worker: main process and pool children, no chance to clean up."""
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.kill()
        self.log_file.close()
