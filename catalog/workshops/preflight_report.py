"""What a pre-flight found: its progress, each item passed or failed, the time and disk the runs took, and
what differs from each example's last good run (a check whose outcome changed, an image size that moved
more than SIZE_MOVE). Read from the typed results (worker/contract/report.py); the workshop page and
`manage.py check_workshop` say the same from it."""

import hashlib
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime

from catalog.models import Verification
from catalog.verifications.latest import combined_verdict, example_verdict
from catalog.verifications.result import format_duration
from catalog.workshops.preflight_models import Preflight, PreflightRun
from worker.contract.quantities import format_size
from worker.contract.report import VerificationReport
from worker.contract.results import Check, ImageFacts

SIZE_MOVE = 0.10  # an image whose size moved by more than this share of its last good size is named


@dataclass(frozen=True)
class ExampleOutcome:
    pattern: str  # slug
    example: str
    verdict: str  # passed, failed, error, skipped, or the live state (queued, waiting, building, running)
    detail: str
    seconds: float | None
    differences: tuple[str, ...]
    baseline_at: datetime | None  # when the run compared with finished; None: it never passed before

    @property
    def done(self) -> bool:
        return self.verdict not in Verification.ACTIVE_STATES


@dataclass(frozen=True)
class ItemOutcome:
    pattern: str  # the pattern's name
    pattern_slug: str
    examples: tuple[ExampleOutcome, ...]

    @property
    def verdict(self) -> str:
        if not all(example.done for example in self.examples):
            return "running"
        return combined_verdict([example.verdict for example in self.examples])


@dataclass(frozen=True)
class PreflightReport:
    preflight: Preflight
    items: tuple[ItemOutcome, ...]
    first_start: datetime | None
    last_finish: datetime | None
    run_seconds: float  # the runs' own durations added up
    disk_bytes: int  # the images the runs built, every layer they take on the engine once (disk_used)

    @property
    def examples(self) -> tuple[ExampleOutcome, ...]:
        return tuple(example for item in self.items for example in item.examples)

    @property
    def total(self) -> int:
        return len(self.examples)

    @property
    def done(self) -> int:
        return sum(example.done for example in self.examples)

    @property
    def finished(self) -> bool:
        return self.done == self.total

    @property
    def passed(self) -> bool:
        """Every item passed: an item that failed, erred or could not run here is not a pass."""
        return self.total > 0 and self.finished and all(item.verdict == "passed" for item in self.items)

    @property
    def failed_items(self) -> tuple[ItemOutcome, ...]:
        return tuple(item for item in self.items if item.verdict != "passed")

    @property
    def wall_seconds(self) -> float | None:
        if self.first_start is None or self.last_finish is None:
            return None
        return (self.last_finish - self.first_start).total_seconds()

    @property
    def wall_text(self) -> str:
        return format_duration(self.wall_seconds)

    @property
    def run_text(self) -> str:
        return format_duration(self.run_seconds)

    @property
    def disk_text(self) -> str:
        return format_size(self.disk_bytes)

    @property
    def differences(self) -> int:
        return sum(len(example.differences) for example in self.examples)

    def lines(self) -> Iterator[str]:
        """The report as plain text, as the command prints it."""
        for item in self.items:
            yield f"{item.verdict.upper():8} {item.pattern}"
            for example in item.examples:
                detail = f": {example.detail}" if example.detail and example.verdict != "passed" else ""
                took = f" in {format_duration(example.seconds)}" if example.seconds is not None else ""
                yield f"         {example.pattern}/{example.example} {example.verdict}{took}{detail}"
                for difference in example.differences:
                    yield f"           differs from its last good run: {difference}"
        if self.finished:
            yield f"time: {self.wall_text} from the first start to the last finish; runs {self.run_text}"
            yield f"disk: {self.disk_text} of images built"
            yield "passed" if self.passed else f"FAILED: {', '.join(i.pattern for i in self.failed_items)}"


def latest_report(preflight: Preflight | None) -> PreflightReport | None:
    """The report of a pre-flight, its rows read in one query; None for no pre-flight."""
    if preflight is None:
        return None
    runs = list(
        preflight.runs.select_related("verification__example__pattern", "baseline").defer(
            "verification__log",
            "baseline__log",
            "verification__example__pattern__body_markdown",
            "verification__example__pattern__body_html",
            "verification__example__pattern__toc_html",
        )
    )
    return report_of(preflight, runs)


def wait_for_report(
    preflight: Preflight, timeout: float, on_progress: Callable[[PreflightReport], None], poll: float = 2.0
) -> PreflightReport:
    """Read the report again until every run finished or `timeout` seconds passed; the last one read."""
    deadline, seen = time.monotonic() + timeout, None
    while True:
        report = latest_report(preflight)
        if report.done != seen:
            on_progress(report)
            seen = report.done
        if report.finished or time.monotonic() > deadline:
            return report
        time.sleep(poll)


def report_of(preflight: Preflight, runs: list[PreflightRun]) -> PreflightReport:
    items: dict[str, list[ExampleOutcome]] = {}
    names: dict[str, str] = {}
    for run in runs:
        pattern = run.verification.example.pattern
        names[pattern.slug] = pattern.name
        items.setdefault(pattern.slug, []).append(outcome_of(run))
    finished = [run.verification for run in runs if not run.verification.is_active]
    return PreflightReport(
        preflight=preflight,
        items=tuple(ItemOutcome(names[slug], slug, tuple(found)) for slug, found in items.items()),
        first_start=min((v.started_at for v in finished if v.started_at), default=None),
        last_finish=max((v.finished_at for v in finished if v.finished_at), default=None),
        run_seconds=sum(v.duration or 0.0 for v in finished),
        disk_bytes=disk_used(v.report for v in finished),
    )


def outcome_of(run: PreflightRun) -> ExampleOutcome:
    verification, baseline = run.verification, run.baseline
    example = verification.example
    if verification.is_active:
        verdict = verification.state
    else:
        verdict = example_verdict(verification.state, verification.failure_reason)
    compared = baseline is not None and baseline.pk != verification.pk and not verification.is_active
    return ExampleOutcome(
        pattern=example.pattern.slug,
        example=example.slug,
        verdict=verdict,
        detail=verification.detail,
        seconds=verification.duration if not verification.is_active else None,
        differences=tuple(differences(baseline.report, verification.report)) if compared else (),
        baseline_at=baseline.finished_at if baseline else None,
    )


def differences(before: VerificationReport | None, after: VerificationReport | None) -> Iterator[str]:
    """What changed from the last good run: checks whose outcome changed, images whose size moved much."""
    if before is None or after is None:
        return
    earlier = {check_key(check): check for check in before.checks}
    for check in after.checks:
        old = earlier.get(check_key(check))
        if old is not None and old.passed != check.passed:
            now = "passes" if check.passed else f"fails (observed {check.observed})"
            was = "passed" if old.passed else "failed"
            where = f"step {check.step_index + 1} {check.action}, {check.name} {check.expected}"
            yield f"{where}: {was}, now {now}"
    for name, facts in after.images.items():
        old = before.images.get(name)
        if old is None or not old.size:
            continue
        moved = (facts.size - old.size) / old.size
        if abs(moved) > SIZE_MOVE:
            yield (
                f"image {name}: {format_size(old.size)} then, {format_size(facts.size)} now ({moved:+.0%})"
            )


def check_key(check: Check) -> tuple[int, str, str, str]:
    # What the scenario says, not what was observed: the same check in two runs of one example.
    return (check.step_index, check.action, check.name, check.expected)


def disk_used(reports: Iterable[VerificationReport | None]) -> int:
    """The disk the runs' images take on the engine: every layer once, however many images share it.

    An analysed image's layers are counted by their chain (the layer and all below it, as the engine
    stores it), so a base or a builder stage's layers shared by several images count once, and a
    layer's size is what its files take (as the engine counts an image's size). An image the run
    could not analyse counts its own layers and its base, the base once by its id.
    """
    chains: dict[str, int] = {}
    bases_covered: set[str] = set()
    unanalysed: list[ImageFacts] = []
    for report in reports:
        if report is None:
            continue
        for name, facts in report.images.items():
            summary = report.analysis.get(name)
            if summary is None or summary.error or not summary.layers:
                unanalysed.append(facts)
                continue
            chain = hashlib.sha256()
            for layer in sorted(summary.layers, key=lambda layer: layer.index):
                chain.update(layer.diff_id.encode() + b"\n")
                chains.setdefault(chain.hexdigest(), layer.content_bytes + layer.symlink_bytes)
            bases_covered.add(facts.base_id)
    bases = {facts.base_id: facts.base_size for facts in unanalysed if facts.base_id not in bases_covered}
    bases.pop("", None)
    return sum(chains.values()) + sum(facts.own_size for facts in unanalysed) + sum(bases.values())
