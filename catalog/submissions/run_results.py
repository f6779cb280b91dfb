"""A sandbox run's stored results as the contributor's and the reviewer's pages show them.

The run keeps, per example, the same VerificationReport a curated verification stores; it is read
back through the contract's reader so that a malformed row says which field is wrong instead of
breaking the page.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog.submissions.models import Submission, SubmissionRun
from catalog.submissions.submit import latest_run, submitted_digest
from worker.contract.analysis import LintFinding
from worker.contract.codec import ContractError
from worker.contract.quantities import format_size
from worker.contract.report import VerificationReport
from worker.contract.results import Check


@dataclass(frozen=True)
class ImageRow:
    name: str
    size: str
    layers: int
    efficiency: str  # "" when the layers were not analysed
    reclaimable: str
    lint: tuple[LintFinding, ...]
    lint_note: str  # why there are no findings to trust ("" when linted)


@dataclass(frozen=True)
class ExampleResult:
    example: str
    title: str
    outcome: str
    reason: str
    detail: str
    duration: float
    passed: bool
    checks: tuple[Check, ...]
    images: tuple[ImageRow, ...]
    mutant: dict | None
    unreadable: str  # why the report could not be read ("" when it was)

    @property
    def lint_findings(self) -> list[tuple[str, LintFinding]]:
        return [(image.name, finding) for image in self.images for finding in image.lint]


def example_results(run: SubmissionRun) -> list[ExampleResult]:
    return [example_result(entry) for entry in run.results if isinstance(entry, dict)]


def example_result(entry: dict) -> ExampleResult:
    try:
        report = VerificationReport.from_json(entry.get("report") or {})
        unreadable = ""
    except ContractError as error:
        report, unreadable = None, f"its report does not read: {error}"
    return ExampleResult(
        example=str(entry.get("example", "")),
        title=str(entry.get("title", "")),
        outcome=str(entry.get("outcome", "")),
        reason=str(entry.get("reason", "")),
        detail=str(entry.get("detail", "")),
        duration=float(entry.get("duration") or 0),
        passed=bool(entry.get("passed")),
        checks=report.checks if report else (),
        images=image_rows(report) if report else (),
        mutant=entry.get("mutant") if isinstance(entry.get("mutant"), dict) else None,
        unreadable=unreadable,
    )


def image_rows(report: VerificationReport) -> tuple[ImageRow, ...]:
    rows = []
    for name, facts in sorted(report.images.items()):
        summary = report.analysis.get(name)
        lint = summary.lint if summary else None
        rows.append(
            ImageRow(
                name=name,
                size=format_size(facts.size),
                layers=facts.layers,
                efficiency=f"{summary.efficiency:.1%}" if summary and not summary.error else "",
                reclaimable=format_size(summary.reclaimable_bytes) if summary and not summary.error else "",
                lint=lint.findings if lint else (),
                lint_note="" if lint and lint.available else (lint.error if lint else "not linted"),
            )
        )
    return tuple(rows)


@dataclass(frozen=True)
class LatestRun:
    """A submission's latest sandbox run as both its author's and its reviewer's pages show it."""

    run: SubmissionRun | None
    results: list[ExampleResult]  # empty until the run has ended
    current: bool  # the run verified the files as they are now


def latest_run_of(submission: Submission) -> LatestRun:
    run = latest_run(submission)
    if run is None:
        return LatestRun(None, [], False)
    results = example_results(run) if run.finished else []
    return LatestRun(run, results, run.digest == submitted_digest(submission))
