"""A finished verification as the page shows it: its checks, images, builds and comparisons (a Report)."""

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.conf import settings
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.timesince import timesince

from catalog.content.bases import stand_in_differences
from catalog.models import Example, Verification
from catalog.verifications.before_after import BeforeAfter, before_and_after
from catalog.verifications.charts import layer_chart_svg
from catalog.verifications.comparison import Comparison, compare_images
from catalog.verifications.latest import example_verdict
from catalog.verifications.layer_report import BuildRow, LayerReport, build_rows, layer_report
from catalog.verifications.lint_marks import anchored
from catalog.verifications.size_chart import size_history_svg
from worker.contract.quantities import format_size
from worker.contract.reasons import FailureReason, Outcome
from worker.contract.report import Environment, VerificationReport
from worker.contract.results import ImageFacts

# What a finished row without a stored result shows: no checks, images or steps.
NO_RESULT = VerificationReport(Outcome.ERROR, FailureReason.NONE, "")

# A row's states, and two words of the panel's own: no row yet, and a row this site will not run.
STATUS_LABELS = {
    "none": "Not verified yet",
    **{state.value: state.label for state in Verification.State},
    "skipped": "Not run here",
}


def format_duration(seconds: float | None) -> str:
    if seconds is None:
        return ""
    if seconds < 10:
        return f"{seconds:.1f} s"
    if seconds < 60:
        return f"{seconds:.0f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


def ago(moment: datetime | None, now: datetime | None = None) -> str:
    if moment is None:
        return ""
    now = now or timezone.now()
    if (now - moment).total_seconds() < 60:
        return "just now"
    return f"{timesince(moment, now, depth=1)} ago"


def short_id(value: str) -> str:
    """An image id or digest ("sha256:0123...") as docker prints it: its first 12 hex digits."""
    return value.rsplit(":", 1)[-1][:12]


def unix_time(seconds: object) -> datetime | None:
    if not isinstance(seconds, int | float) or seconds <= 0:
        return None
    return datetime.fromtimestamp(seconds, tz=UTC)


@dataclass(frozen=True)
class CheckRow:
    step: int  # counted from 1, as the page numbers steps
    step_title: str
    name: str
    expected: str
    observed: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class HistoryLine:
    instruction: str
    size: int
    size_text: str
    created: datetime | None
    base: bool


@dataclass(frozen=True)
class ImageReport:
    name: str
    id: str
    tag: str
    size_text: str
    own_text: str
    base_text: str
    base_ref: str
    base_matched: bool
    layers: int
    user: str
    history: tuple[HistoryLine, ...]
    chart: SafeString
    size_history: SafeString  # empty until the image has passed two verifications
    analysis: LayerReport | None = None  # layer analysis and lint; None for results from before them

    @property
    def short_id(self) -> str:
        return short_id(self.id)

    @property
    def base_rows(self) -> int:
        return sum(line.base for line in self.history)


@dataclass(frozen=True)
class BaseImage:
    ref: str
    source: str  # stand-in, pulled, local, missing
    image_id: str
    digest: str
    recipe: str
    differs: str = ""  # for a stand-in: what it is known to differ in from the published image

    @property
    def short_id(self) -> str:
        return short_id(self.image_id)

    @property
    def short_digest(self) -> str:
        return "sha256:" + short_id(self.digest) if self.digest else ""


@dataclass(frozen=True)
class BuildFailure:
    image: str
    instruction: str
    error: str
    exit_code: int | None


@dataclass(frozen=True)
class StepOutput:
    step: int
    title: str
    status: str
    detail: str
    output: str


@dataclass(frozen=True)
class Report:
    """A finished verification, ready for the template."""

    verification: Verification
    status: str
    headline: str
    duration: str
    finished_ago: str
    engine_version: str
    arch: str
    os: str
    bases: tuple[BaseImage, ...]
    checks: tuple[CheckRow, ...]
    passed_checks: int
    failed_checks: int
    build_failure: BuildFailure | None
    failed_steps: tuple[StepOutput, ...]
    not_run: tuple[str, ...]
    images: tuple[ImageReport, ...]
    comparisons: tuple[Comparison, ...]
    before_after: BeforeAfter | None  # the anti-pattern and its fix in one run, for scenarios with sides
    builds: tuple[BuildRow, ...]
    log: str
    outdated: bool

    @property
    def reason_label(self) -> str:
        return reason_label(self.verification.failure_reason)


def reason_label(reason: str) -> str:
    return Verification.Reason(reason).label if reason in Verification.Reason.values else reason


def status_of(verification: Verification | None) -> str:
    if verification is None:
        return "none"
    return example_verdict(verification.state, verification.failure_reason)


def headline(verification: Verification, checks: tuple[CheckRow, ...], failed: int) -> str:
    status, total = status_of(verification), len(checks)
    took = format_duration(verification.duration)
    tail = f" in {took}" if took else ""
    if status == "passed":
        return f"Passed {total} of {total} check{'s' if total != 1 else ''}{tail}"
    if status == "skipped":
        return "Not run here: it needs host access, which this site's worker does not allow"
    if status == "failed" and verification.failure_reason == Verification.Reason.CHECK_FAILED and total:
        return f"Failed {failed} of {total} check{'s' if total != 1 else ''}{tail}"
    if status in ("failed", "error"):
        why = reason_label(verification.failure_reason) or "no reason given"
        return f"{STATUS_LABELS[status]}: {why}{tail}"
    return STATUS_LABELS.get(status, status)


def image_report(name: str, facts: ImageFacts, sizes: Sequence[tuple[datetime, int]] = ()) -> ImageReport:
    history = tuple(
        HistoryLine(
            instruction=row.instruction or row.created_by,
            size=row.size,
            size_text=format_size(row.size),
            created=unix_time(row.created),
            base=row.base,
        )
        for row in facts.history
    )
    bars = [(line.instruction or "(no instruction)", line.size, line.base) for line in history if line.size]
    title = f"Layer sizes of image {name}"
    return ImageReport(
        name=name,
        id=facts.id,
        tag=facts.tag,
        size_text=format_size(facts.size),
        own_text=format_size(facts.own_size),
        base_text=format_size(facts.base_size),
        base_ref=facts.base_ref,
        base_matched=facts.base_matched,
        layers=facts.layers,
        user=facts.user,
        history=history,
        # Safe: layer_chart_svg and size_history_svg escape every text they embed.
        chart=mark_safe(layer_chart_svg(bars, title=title)),
        size_history=mark_safe(size_history_svg(name, sizes)) if len(sizes) >= 2 else mark_safe(""),
    )


def base_images(environment: Environment | None) -> tuple[BaseImage, ...]:
    differences = stand_in_differences(settings.PATTERNS_DIR)
    return tuple(
        BaseImage(
            ref=base.ref,
            source=base.source,
            image_id=base.id or "",
            digest=base.digests[0] if base.digests else "",
            recipe=base.recipe,
            differs=differences.get(base.ref, "") if base.source == "stand-in" else "",
        )
        for base in (environment.bases if environment else ())
    )


def build_failure(report: VerificationReport) -> BuildFailure | None:
    for build in report.builds:
        if not build.ok:
            return BuildFailure(
                image=build.image_name,
                instruction=build.failed_instruction,
                error=build.error,
                exit_code=build.exit_code,
            )
    return None


def check_rows(report: VerificationReport) -> tuple[CheckRow, ...]:
    titles = {step.index: step.title for step in report.steps}
    return tuple(
        CheckRow(
            step=check.step_index + 1,
            step_title=titles.get(check.step_index, check.action),
            name=check.name,
            expected=check.expected,
            observed=check.observed,
            passed=check.passed,
            detail=check.detail,
        )
        for check in report.checks
    )


def image_reports(report: VerificationReport, example: Example) -> tuple[ImageReport, ...]:
    size_history = getattr(example, "size_history", {})
    scenario = example.parsed_scenario
    sources = {image.name: image.dockerfile for image in scenario.images} if scenario else {}
    return tuple(
        dataclasses.replace(
            image_report(name, facts, size_history.get(name, ())),
            analysis=anchored(layer_report(report.analysis.get(name)), example.slug, sources.get(name, "")),
        )
        for name, facts in report.images.items()
    )


def make_report(verification: Verification, example: Example) -> Report:
    report = verification.report or NO_RESULT
    checks = check_rows(report)
    failed = sum(not check.passed for check in checks)
    scenario = example.parsed_scenario
    return Report(
        verification=verification,
        status=status_of(verification),
        headline=headline(verification, checks, failed),
        duration=format_duration(verification.duration),
        finished_ago=ago(verification.finished_at),
        engine_version=report.engine_fact("version"),
        arch=report.engine_fact("arch"),
        os=report.engine_fact("os"),
        bases=base_images(report.environment),
        checks=checks,
        passed_checks=len(checks) - failed,
        failed_checks=failed,
        build_failure=build_failure(report) if verification.state != Verification.State.PASSED else None,
        failed_steps=tuple(
            StepOutput(step.index + 1, step.title, step.status, step.detail, step.output)
            for step in report.steps
            if step.status in ("failed", "error")
        ),
        not_run=tuple(step.title for step in report.steps if step.status == "not run"),
        images=image_reports(report, example),
        comparisons=tuple(compare_images(scenario, report)) if scenario else (),
        before_after=before_and_after(scenario, checks) if scenario else None,
        builds=build_rows(report),
        log=verification.log,
        outdated=verification.example_hash != example.content_hash,
    )
