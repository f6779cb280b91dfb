"""Run an example folder, or its mutant, on the engine straight from patterns/: no worker, no database.

`try_example` runs one for its author; the mutant suite runs every mutant and judges it. What a
trial makes is labelled with its owner and a trial id, and removed, images included, before it returns.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

from catalog.content.bases import load_bases
from catalog.content.examples import load_example
from catalog.content.sources import ContentError, ExampleFileSource, ExampleSource
from worker.commands.session import CommandsOutcome, run_commands
from worker.commands.tools import find_tools
from worker.contract import labels as label
from worker.contract.reasons import FailureReason, Outcome
from worker.contract.results import ScenarioResult
from worker.images.build_context import context_files
from worker.images.builder import try_remove_images
from worker.runner import COMMANDS_BUDGET, CommandsSetup, run_scenario
from worker.scenario import Scenario


class TrialError(ValueError):
    """The folder is not an example that sync_patterns would accept; the message lists why."""


def load_example_folder(folder: Path) -> ExampleSource:
    root = Path(settings.PATTERNS_DIR).resolve()
    folder = folder.resolve()
    if not folder.is_dir() or root not in folder.parents:
        raise TrialError(f"{folder} is not an example folder under {root}")
    errors: list[ContentError] = []
    example = load_example(root, folder, set(load_bases(root, errors)), errors)
    if errors or example is None:
        raise TrialError("\n".join(str(error) for error in errors) or f"{folder}: not loadable")
    return example


@dataclass(frozen=True)
class Trial:
    result: ScenarioResult
    clean_up: str  # "" when everything the run made is gone, else what was left to the reaper


def run_trial(
    client,
    example: ExampleSource,
    files: tuple[ExampleFileSource, ...],
    *,
    scenario: dict | None = None,
    owner: str,
    allow_host_access: bool = False,
    on_event: Callable[[str], None] | None = None,
    extra_labels: Mapping[str, str] | None = None,
    run_commands: bool = True,
) -> Trial:
    """Run `example`'s scenario (or `scenario`, a mutant's) on `files` (its own, or its mutant's).

    With `run_commands` the page's commands run too; a mutant is judged by its checks alone.
    """
    labels = trial_labels(owner, extra_labels)
    try:
        result = run_scenario(
            client,
            Scenario.from_dict(scenario or example.scenario),
            context_files(files),
            labels,
            allow_host_access=allow_host_access,
            on_event=on_event,
            base_cache=settings.VAR_DIR / "base-configs",
            commands=CommandsSetup(folder_name=example.slug) if run_commands else None,
        )
    finally:
        left = try_remove_images(client, labels)
    return Trial(result, left)


def run_commands_trial(
    client, example: ExampleSource, *, owner: str, on_event: Callable[[str], None] | None = None
) -> CommandsOutcome:
    """Only the page's commands, as the verification runs them: for an author fixing one."""
    scenario = Scenario.from_dict(example.scenario)
    return run_commands(
        client,
        scenario.commands,
        context_files(example.files),
        trial_labels(owner),
        folder_name=example.slug,
        tools=find_tools(),
        deadline=time.monotonic() + COMMANDS_BUDGET,
        host_access=scenario.host_access,
        emit=on_event or (lambda line: None),
    )


def trial_labels(owner: str, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    return {
        **(extra or {}),
        label.OWNER: owner,
        label.INSTANCE: settings.CATALOG_INSTANCE,
        label.VERIFICATION: f"{owner}-{uuid.uuid4().hex[:12]}",
    }


# A later step may run out of time or memory once the pattern is gone; the checks before it judged.
JUDGED_BY_CHECKS = (FailureReason.CHECK_FAILED, FailureReason.RUN_TIMEOUT, FailureReason.OOM)


@dataclass(frozen=True)
class MutantVerdict:
    killed: bool  # the example's checks failed on the mutant: they test the pattern
    why: str  # the checks that caught it, or why it was not caught


def judge_mutant(result: ScenarioResult) -> MutantVerdict:
    """Killed only by a check of the pattern: a mutant that does not build or run proves nothing."""
    caught = [check for check in result.checks if not check.passed and check.name != "completes"]
    judged = result.failure_reason in JUDGED_BY_CHECKS
    if result.outcome == Outcome.FAILED and judged and caught:
        names = ", ".join(f"step {check.step_index + 1} {check.name}" for check in caught)
        return MutantVerdict(True, f"caught by {names}")
    if result.outcome == Outcome.PASSED:
        return MutantVerdict(False, "survived: every check passed with the pattern undone")
    reason = result.failure_reason or result.outcome
    return MutantVerdict(False, f"not judged by a check ({reason}: {result.detail})")
