"""`manage.py try_example patterns/<slug>/examples/<name>`: run one example folder now, for its author.

It checks the folder exactly as sync_patterns does, then runs the scenario on the engine in this
process (no worker, no database), printing the live log and every check. Everything it makes is
labelled `catalog.owner=try` and removed before it returns, images included.
"""

import uuid
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog.content.bases import load_bases
from catalog.content.examples import load_example
from worker.contract import labels as label
from worker.contract.analysis import AnalysisSummary
from worker.contract.codec import from_json
from worker.contract.quantities import format_size
from worker.engine.client import EngineUnavailable, connect
from worker.images.build_context import context_files
from worker.images.builder import try_remove_images
from worker.runner import run_scenario
from worker.scenario import Scenario


class Command(BaseCommand):
    help = "Verify one example folder on the engine right now and print its checks."

    def add_arguments(self, parser):
        parser.add_argument("folders", nargs="+", help="example folders, e.g. patterns/sidecar/examples/web")
        parser.add_argument("--allow-host-access", action="store_true", help="run socket/host examples")
        parser.add_argument("--quiet", action="store_true", help="print only the checks, not the log")

    def handle(self, *args, folders, allow_host_access, quiet, **options):
        try:
            client = connect()
        except EngineUnavailable as error:
            raise CommandError(f"No Docker engine answers: {error}") from error
        failed = [
            folder
            for folder in folders
            if not self.try_one(client, Path(folder).resolve(), allow_host_access, quiet)
        ]
        if failed:
            names = ", ".join(failed)
            raise CommandError(f"{len(failed)} of {len(folders)} example(s) did not pass: {names}")

    def try_one(self, client, folder: Path, allow_host_access: bool, quiet: bool) -> bool:
        root = Path(settings.PATTERNS_DIR).resolve()
        if not folder.is_dir() or root not in folder.parents:
            raise CommandError(f"{folder} is not an example folder under {root}")
        errors: list = []
        example = load_example(root, folder, set(load_bases(root, errors)), errors)
        if errors or example is None:
            raise CommandError("\n".join(str(error) for error in errors) or f"{folder}: not loadable")
        files = context_files(example.files)
        labels = {
            label.OWNER: "try",
            label.INSTANCE: settings.CATALOG_INSTANCE,
            label.VERIFICATION: f"try-{uuid.uuid4().hex[:12]}",
        }
        echo = None if quiet else (lambda line: self.stdout.write(f"  | {line}"))
        self.stdout.write(f"== {folder.relative_to(root)}")
        try:
            result = run_scenario(
                client,
                Scenario.from_dict(example.scenario),
                files,
                labels,
                allow_host_access=allow_host_access,
                on_event=echo,
                base_cache=settings.VAR_DIR / "base-configs",
            )
        except EngineUnavailable as error:
            self.stdout.write(f"  => infrastructure error, not the example's fault: {error}")
            return False
        finally:
            left = try_remove_images(client, labels)
            if left:
                self.stdout.write(f"  clean-up: {left}")
        for check in result.checks:
            mark = "ok  " if check.passed else "FAIL"
            self.stdout.write(
                f"  {mark} step {check.step_index} {check.action} {check.name}: "
                f"expected {check.expected}, observed {check.observed}"
            )
        for name, stored in result.analysis.items():
            summary = from_json(AnalysisSummary, stored, f"analysis.{name}")
            findings = summary.lint.findings if summary.lint else ()
            lint = ", ".join(f"{finding.code} line {finding.line}" for finding in findings)
            self.stdout.write(
                f"  image {name}: {format_size(result.images[name].size)}, "
                f"{format_size(summary.reclaimable_bytes)} reclaimable, lint {lint or 'clean'}"
            )
        verdict = result.outcome
        if verdict == "error":
            verdict = "infrastructure error, not the example's fault"
        if result.failure_reason:
            verdict += f" ({result.failure_reason}: {result.detail})"

        self.stdout.write(f"  => {verdict} in {result.duration:.1f} s, {len(result.checks)} checks")
        return result.passed
