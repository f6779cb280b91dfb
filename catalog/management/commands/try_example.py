"""`manage.py try_example patterns/<slug>/examples/<name>`: run one example folder now, for its author.

It checks the folder exactly as sync_patterns does, then runs the scenario and the page's commands
on the engine in this process (no worker, no database), printing the live log and every check.
Everything it makes is labelled `catalog.owner=try` and removed before it returns, images
included. With `--mutant` it runs the example's mutant instead and succeeds only if the
example's checks catch it (the commands are not run for a mutant).
"""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from catalog.trial import TrialError, judge_mutant, load_example_folder, run_commands_trial, run_trial
from worker.contract.analysis import AnalysisSummary
from worker.contract.codec import from_json
from worker.contract.quantities import format_size
from worker.contract.results import ScenarioResult
from worker.engine.client import EngineUnavailable, connect


class Command(BaseCommand):
    help = "Verify one example folder (or its mutant) on the engine right now and print its checks."

    def add_arguments(self, parser):
        parser.add_argument("folders", nargs="+", help="example folders, e.g. patterns/sidecar/examples/web")
        parser.add_argument("--allow-host-access", action="store_true", help="run socket/host examples")
        parser.add_argument("--quiet", action="store_true", help="print only the checks, not the log")
        parser.add_argument(
            "--mutant", action="store_true", help="run each example's mutant; it must fail the checks"
        )
        parser.add_argument(
            "--commands-only", action="store_true", help="run only the page's commands, not the scenario"
        )

    def handle(self, *args, folders, allow_host_access, quiet, mutant, commands_only, **options):
        try:
            client = connect()
        except EngineUnavailable as error:
            raise CommandError(f"No Docker engine answers: {error}") from error
        failed = [
            folder
            for folder in folders
            if not (
                self.try_commands(client, Path(folder), quiet=quiet)
                if commands_only
                else self.try_one(
                    client, Path(folder), allow_host_access=allow_host_access, quiet=quiet, mutant=mutant
                )
            )
        ]
        if failed:
            names = ", ".join(failed)
            what = "mutant(s) were not caught" if mutant else "example(s) did not pass"
            raise CommandError(f"{len(failed)} of {len(folders)} {what}: {names}")

    def try_one(self, client, folder: Path, *, allow_host_access: bool, quiet: bool, mutant: bool) -> bool:
        try:
            example = load_example_folder(folder)
        except TrialError as error:
            raise CommandError(str(error)) from error
        if mutant and example.mutant is None:
            raise CommandError(f"{folder}: no mutant/ folder (patterns/AUTHORING.md, 'Mutants')")
        files = example.mutant.files if mutant else example.files
        shown = folder.resolve().relative_to(Path(settings.PATTERNS_DIR).resolve())
        self.stdout.write(f"== {shown}{' (mutant)' if mutant else ''}")
        if mutant:
            self.stdout.write(f"  undoes: {example.mutant.undoes}")
        echo = None if quiet else (lambda line: self.stdout.write(f"  | {line}"))
        try:
            trial = run_trial(
                client,
                example,
                files,
                scenario=example.mutant.scenario if mutant else None,
                owner="try",
                allow_host_access=allow_host_access,
                on_event=echo,
                run_commands=not mutant,  # the page's commands belong to the example, not its mutant
            )
        except EngineUnavailable as error:
            self.stdout.write(f"  => infrastructure error, not the example's fault: {error}")
            return False
        if trial.clean_up:
            self.stdout.write(f"  clean-up: {trial.clean_up}")
        self.print_checks(trial.result)
        if mutant:
            verdict = judge_mutant(trial.result)
            self.stdout.write(f"  => mutant {'caught' if verdict.killed else 'NOT caught'}: {verdict.why}")
            return verdict.killed
        return self.print_verdict(trial.result)

    def try_commands(self, client, folder: Path, *, quiet: bool) -> bool:
        try:
            example = load_example_folder(folder)
        except TrialError as error:
            raise CommandError(str(error)) from error
        self.stdout.write(f"== {folder} (commands only)")
        echo = None if quiet else (lambda line: self.stdout.write(f"  | {line}"))
        outcome = run_commands_trial(client, example, owner="try", on_event=echo)
        self.print_commands(outcome.results)
        if outcome.clean_up:
            self.stdout.write(f"  clean-up: {outcome.clean_up}")
        self.stdout.write(f"  => {outcome.reason or 'passed'}: {outcome.detail}")
        return not outcome.reason

    def print_commands(self, commands) -> None:
        for command in commands:
            mark = {"passed": "ok  ", "not run": "--  "}.get(command.status, "FAIL")
            said = f"exit {command.exit_code}" if command.exit_code is not None else command.status
            why = f": {command.detail}" if command.detail else ""
            self.stdout.write(f"  {mark} command {command.index + 1} `{command.run}` ({said}){why}")

    def print_checks(self, result: ScenarioResult) -> None:
        for check in result.checks:
            mark = "ok  " if check.passed else "FAIL"
            self.stdout.write(
                f"  {mark} step {check.step_index + 1} {check.action} {check.name}: "
                f"expected {check.expected}, observed {check.observed}"
            )
        self.print_commands(result.commands)
        for name, stored in result.analysis.items():
            summary = from_json(AnalysisSummary, stored, f"analysis.{name}")
            findings = summary.lint.findings if summary.lint else ()
            lint = ", ".join(f"{finding.code} line {finding.line}" for finding in findings)
            self.stdout.write(
                f"  image {name}: {format_size(result.images[name].size)}, "
                f"{format_size(summary.reclaimable_bytes)} reclaimable, lint {lint or 'clean'}"
            )

    def print_verdict(self, result: ScenarioResult) -> bool:
        verdict = result.outcome
        if verdict == "error":
            verdict = "infrastructure error, not the example's fault"
        if result.failure_reason:
            verdict += f" ({result.failure_reason}: {result.detail})"
        self.stdout.write(f"  => {verdict} in {result.duration:.1f} s, {len(result.checks)} checks")
        return result.passed
