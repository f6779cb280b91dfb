"""`manage.py sync_patterns`: load patterns/ into the database, or print every problem and write nothing."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog.content.importer import sync_patterns
from catalog.content.loader import load_tree


class Command(BaseCommand):
    help = "Validate the patterns/ tree and load it into the database."

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, default=settings.PATTERNS_DIR, help="the patterns folder")
        parser.add_argument("--check", action="store_true", help="only validate; write nothing")

    def handle(self, *args, path: Path, check: bool, **options):
        report = load_tree(path) if check else sync_patterns(path)
        if report.errors:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{len(report.errors)} problem(s) in {path}; nothing was written.")
        if check:
            self.stdout.write(f"{len(report.patterns)} patterns, no problems")
            return
        self.stdout.write(
            f"created {report.created}, updated {report.updated}, "
            f"unchanged {report.unchanged}, removed {report.removed}"
        )
        if report.worker_reported:
            self.stdout.write(f"queued {report.queued} verification(s) of the examples added or changed")
        else:
            self.stdout.write(
                "no worker has reported yet, so no verification was queued "
                "(a starting worker queues every example never verified)"
            )
