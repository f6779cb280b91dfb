"""`manage.py runsite`: the site under a production server, a Celery worker (with beat), the sandbox's worker.

The second worker consumes only the `sandbox` queue (untrusted submissions), one task at a time, with
DOCKER_HOST set to the sandboxed engine: curated verification never waits behind a submission, and the
engine a submission is run on is never the main one by default.
"""

import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from catalog.serving.processes import Supervisor
from worker.sandbox_engine import SANDBOX_QUEUE, SANDBOX_WORKER

# Two processes for two cores; each answers cached pages from its own memo (catalog/serving/page_cache.py).
SITE_WORKERS = 2
SITE_THREADS = 4


def site_command(python: str, host: str, port: int, *, dev: bool) -> list[str]:
    """granian serving catalog.wsgi, or Django's development server when asked for (`make dev`)."""
    if dev:
        return [python, str(settings.BASE_DIR / "manage.py"), "runserver", f"{host}:{port}", "--noreload"]
    granian = str(Path(python).with_name("granian"))
    return [
        granian, "--interface", "wsgi", "--host", host, "--port", str(port),
        "--workers", str(SITE_WORKERS), "--blocking-threads", str(SITE_THREADS),
        "--respawn-failed-workers", "--no-ws", "--log-level", "warning",
        "catalog.wsgi:application",
    ]  # fmt: skip


def sandbox_worker_command(python: str) -> list[str]:
    """The Celery worker for submissions: its own process and queue, on the sandboxed engine only."""
    # VERIFY_ON_START off: queueing the never-verified curated examples is the main worker's job.
    environment = ["env", f"DOCKER_HOST={settings.SANDBOX_DOCKER_HOST}", "VERIFY_ON_START=false"]
    return [
        *environment, python, "-m", "celery", "-A", "worker.celery_app", "worker",
        "-l", "info", "--concurrency", "1", "-Q", SANDBOX_QUEUE, "-n", f"{SANDBOX_WORKER}%h",
    ]  # fmt: skip


class Command(BaseCommand):
    help = (
        "Run the site (granian; --dev: Django's development server), a Celery worker and the sandbox's "
        "worker; Ctrl-C stops them all."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port to listen on")
        parser.add_argument(
            "--host",
            default="127.0.0.1",
            help="address to listen on (0.0.0.0 lets a room of people reach it; default loopback only)",
        )
        parser.add_argument("--dev", action="store_true", help="Django's development server instead")

    def handle(self, *args: object, port: int, host: str, dev: bool, **options: object) -> None:
        python = sys.executable
        site = site_command(python, host, port, dev=dev)
        # Beat runs inside the worker; CELERY_BEAT_SCHEDULE_FILENAME keeps its file under var/.
        worker = [python, "-m", "celery", "-A", "worker.celery_app", "worker", "--beat"]
        worker += ["-l", "info", "--concurrency", "1", "-Q", "celery,verify"]
        supervisor = Supervisor([site, worker, sandbox_worker_command(python)])
        supervisor.start()
        server = "Django's development server" if dev else "granian"
        self.stdout.write(f"Catalog running at http://{host}:{port}/ ({server}; Ctrl-C to stop)")
        self.stdout.flush()
        code = supervisor.wait()
        if code:
            raise SystemExit(code)
