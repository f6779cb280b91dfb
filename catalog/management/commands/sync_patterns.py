"""`manage.py sync_patterns`: load patterns/ and workshops/ into the database, or print every problem and
write nothing."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog.content.importer import load_content, sync_patterns, workshops_beside


class Command(BaseCommand):
    help = "Validate the patterns/ tree and the curated workshops, and load them into the database."

    def add_arguments(self, parser):
        parser.add_argument("--path", type=Path, default=settings.PATTERNS_DIR, help="the patterns folder")
        parser.add_argument(
            "--workshops", type=Path, help="the workshops folder (default: WORKSHOPS_DIR, or beside --path)"
        )
        parser.add_argument("--check", action="store_true", help="only validate; write nothing")

    def handle(self, *args, path: Path, workshops: Path | None, check: bool, **options):
        workshops = workshops or workshops_beside(path)
        report = load_content(path, workshops) if check else sync_patterns(path, workshops)
        if report.errors:
            for error in report.errors:
                self.stderr.write(str(error))
            raise CommandError(
                f"{len(report.errors)} problem(s) in {path} or {workshops}; nothing was written."
            )
        if check:
            count = len(report.workshops.workshops)
            self.stdout.write(f"{len(report.tree.patterns)} patterns, {count} workshops, no problems")
            return
        self.stdout.write(
            f"created {report.created}, updated {report.updated}, "
            f"unchanged {report.unchanged}, removed {report.removed}"
        )
        shops = report.workshops
        self.stdout.write(
            f"workshops: created {shops.created}, updated {shops.updated}, "
            f"unchanged {shops.unchanged}, unpublished {shops.removed}"
        )
        if report.worker_reported:
            self.stdout.write(f"queued {report.queued} verification(s) of the examples added or changed")
        else:
            self.stdout.write(
                "no worker has reported yet, so no verification was queued "
                "(a starting worker queues every example never verified)"
            )
