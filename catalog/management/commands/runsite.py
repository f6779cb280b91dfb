"""`manage.py runsite`: the site and a Celery worker (with beat) together, for `make run`."""

import sys

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from catalog.processes import Supervisor


class Command(BaseCommand):
    help = "Run the development site and a Celery worker; Ctrl-C stops both."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--port", type=int, default=8000, help="port on 127.0.0.1")

    def handle(self, *args: object, port: int, **options: object) -> None:
        python = sys.executable
        manage = str(settings.BASE_DIR / "manage.py")
        site = [python, manage, "runserver", f"127.0.0.1:{port}", "--noreload"]
        # Beat runs inside the worker; CELERY_BEAT_SCHEDULE_FILENAME keeps its file under var/.
        worker = [python, "-m", "celery", "-A", "worker.celery_app", "worker", "--beat"]
        worker += ["-l", "info", "--concurrency", "1", "-Q", "celery,verify"]
        supervisor = Supervisor([site, worker])
        supervisor.start()
        self.stdout.write(f"Catalog running at http://127.0.0.1:{port}/ (Ctrl-C to stop)")
        self.stdout.flush()
        code = supervisor.wait()
        if code:
            raise SystemExit(code)
