"""The page's commands beside what each did in the last finished verification."""

from __future__ import annotations

from dataclasses import dataclass

from worker.contract.results import CommandResult
from worker.scenario import Scenario
from worker.scenario.model import Command

STATUS_WORDS = {"passed": "did what it says", "failed": "did not do what it says", "not run": "not reached"}


@dataclass(frozen=True)
class CommandRow:
    command: Command
    result: CommandResult | None  # None: no finished verification ran this exact command yet

    @property
    def says_outcome(self) -> bool:
        """Whether the page must say what to expect: anything but a plain success."""
        return self.command.exit_code != 0 or bool(self.command.output_contains)

    @property
    def status_words(self) -> str:
        return STATUS_WORDS.get(self.result.status, self.result.status) if self.result else ""


def command_rows(scenario: Scenario | None, results: tuple[CommandResult, ...]) -> tuple[CommandRow, ...]:
    """A result belongs to a command only if it ran that same line; an edited command waits for its run."""
    if scenario is None:
        return ()
    by_index = {result.index: result for result in results}
    rows = []
    for index, command in enumerate(scenario.commands):
        result = by_index.get(index)
        rows.append(CommandRow(command, result if result is not None and result.run == command.run else None))
    return tuple(rows)
