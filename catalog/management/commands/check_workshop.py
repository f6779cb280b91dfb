"""`manage.py check_workshop <slug> [--cut NAME] [--wait]`: the trainer's pre-flight from the shell.

Queues a cold verification of every example of the workshop (or cut) as one pre-flight, as the
workshop page's "Check on this engine now" does; with --wait, prints the progress, then the report,
and exits 1 when an item did not pass (2 when the runs did not finish in time).
"""

from django.core.management.base import BaseCommand, CommandError

from catalog.workshops.lookup import NoSuchWorkshop, find_workshop
from catalog.workshops.preflight import start_preflight
from catalog.workshops.preflight_report import latest_report, wait_for_report


class Command(BaseCommand):
    help = "Verify every example of a workshop (or of a cut) from cold on this catalog's engine."

    def add_arguments(self, parser):
        parser.add_argument("slug", help="the workshop, as in /workshops/<slug>/")
        parser.add_argument("--cut", default="", help="a cut's name: only the items it keeps")
        parser.add_argument("--wait", action="store_true", help="wait for the runs, print the report")
        parser.add_argument("--timeout", type=float, default=3600.0, help="seconds --wait waits at most")

    def handle(self, *args, slug: str, cut: str, wait: bool, timeout: float, **options):
        if timeout <= 0:
            raise CommandError("--timeout is a number of seconds, more than 0")
        try:
            workshop, chosen = find_workshop(slug, cut)
        except NoSuchWorkshop as error:
            raise CommandError(str(error)) from error
        preflight, new = start_preflight(workshop, chosen)
        report = latest_report(preflight)
        joined = report.total - new  # cold already, or a live warm run made cold
        self.stdout.write(
            f"pre-flight {preflight.pk} of {slug}{f' ({cut})' if cut else ''}: {report.total} examples, "
            f"{new} queued cold, {joined} joined"
        )
        if not wait:
            return
        report = wait_for_report(
            preflight, timeout, lambda seen: self.stdout.write(f"{seen.done} of {seen.total} done")
        )
        for line in report.lines():
            self.stdout.write(line)
        if not report.finished:
            raise CommandError(
                f"{report.total - report.done} runs not finished after {timeout:.0f} s", returncode=2
            )
        if not report.passed:
            raise CommandError("the pre-flight failed", returncode=1)
