"""`manage.py verify [slug ...] [--all] [--force] [--wait]`: queue verifications and follow them."""

import sys
import time

from django.core.management.base import BaseCommand, CommandError

from catalog.models import Example, Verification
from catalog.verifications.queueing import request_verification
from catalog.verifications.verify_plan import plan_verifications
from catalog.verifications.verify_report import progress_line, summary_table
from worker.engine.client import EngineUnavailable, connect
from worker.engine.environment import environment_fingerprint
from worker.scenario import Scenario


class Command(BaseCommand):
    help = "Queue verifications of examples (changed ones only, unless --force) and optionally wait."
    # The site's checks (URLs, views, admin) say nothing about queueing work and cost a fifth of
    # a second, most of what re-verifying an unchanged catalog takes; `migrate` and the site run them.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument("slugs", nargs="*", help="patterns whose examples to verify")
        parser.add_argument("--all", action="store_true", help="every published pattern")
        parser.add_argument("--force", action="store_true", help="verify even if nothing changed")
        parser.add_argument("--wait", action="store_true", help="show progress and a summary table")
        parser.add_argument("--timeout", type=float, default=1800, help="seconds to wait at most")

    def handle(self, *args, slugs, all, force, wait, timeout, **options):
        if not slugs and not all:
            raise CommandError("Name patterns to verify, or pass --all.")
        examples = Example.objects.filter(pattern__published=True).select_related("pattern")
        if slugs:
            examples = examples.filter(pattern__slug__in=slugs)
            missing = set(slugs) - {e.pattern.slug for e in examples}
            if missing:
                raise CommandError(f"No published pattern named {', '.join(sorted(missing))}.")
        plan = plan_verifications(examples, force=force, environment_of=environment_reader())
        verifications = [request_verification(example)[0] for example in plan.to_queue]
        self.stdout.write(f"queued {len(verifications)}, up to date {len(plan.up_to_date)}")
        if wait and verifications:
            self.follow([v.pk for v in verifications], timeout)

    def follow(self, ids: list[int], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while True:
            rows = list(Verification.objects.filter(pk__in=ids).select_related("example__pattern"))
            done = sum(not row.is_active for row in rows)
            waiting = [row for row in rows if row.state == Verification.State.WAITING]
            line = progress_line(done, len(rows), waiting)
            self.stdout.write(line, ending="\r" if sys.stdout.isatty() else "\n")
            if done == len(rows) or time.monotonic() > deadline:
                break
            time.sleep(0.25)
        self.stdout.write("")
        self.stdout.write(summary_table(rows))
        if done < len(rows):
            raise CommandError(f"{len(rows) - done} verification(s) still running after {timeout:.0f} s.")
        if any(row.state != Verification.State.PASSED for row in rows):
            raise CommandError("Some examples did not pass.")


def environment_reader():
    """A function giving an example's environment fingerprint, or None without an engine."""
    try:
        client = connect()
    except EngineUnavailable:
        return lambda example: None

    def environment_of(example: Example) -> str:
        scenario = Scenario.from_dict(example.scenario)
        return environment_fingerprint(client, scenario, example.context_files())[0]

    return environment_of
