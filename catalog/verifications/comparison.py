"""Two images of one example side by side: the measured difference between a variant and its fix.

The pairs are the example's own `compare` entries (the author said which two matter), or its
only two images. Every figure comes from the verification's result; a figure that one side
lacks (an image that was never stopped has no stop time) is shown as a dash, not invented.
"""

from collections.abc import Collection
from dataclasses import dataclass, field

from worker.contract.quantities import format_size
from worker.contract.report import VerificationReport
from worker.scenario import Scenario


@dataclass(frozen=True)
class ComparisonRow:
    label: str
    left: str  # as the page shows it
    right: str
    change: str  # "" when equal, else how the right side differs from the left ("-92 %", "+3")
    better: str  # "left", "right" or "" (equal, or no side is better)


@dataclass
class Measures:
    """One image's figures; None where the run did not measure it."""

    size: int | None = None
    own: int | None = None
    layers: int | None = None
    reclaimable: int | None = None
    build_time: float | None = None
    cache: tuple[int, int] | None = None  # (steps from the cache, steps)
    stop_time: float | None = None


@dataclass(frozen=True)
class Comparison:
    left: str
    right: str
    rows: tuple[ComparisonRow, ...]
    # The figures the rows are written from, for the JSON API (catalog/api/insight.py).
    left_measures: Measures = field(default_factory=Measures)
    right_measures: Measures = field(default_factory=Measures)

    @property
    def differences(self) -> int:
        return sum(bool(row.change) for row in self.rows)


def image_pairs(scenario: Scenario, images: Collection[str]) -> list[tuple[str, str]]:
    pairs = [comparison.images for comparison in scenario.compare]
    pairs = [(a, b) for a, b in pairs if a in images and b in images]
    if not pairs and len(images) == 2:
        pairs = [tuple(images)]
    return list(dict.fromkeys(pairs))  # the same pair compared twice is shown once


def compare_images(scenario: Scenario, report: VerificationReport) -> list[Comparison]:
    measures = per_image_measures(scenario, report)
    found = []
    for a, b in image_pairs(scenario, report.images):
        left, right = measures.get(a, Measures()), measures.get(b, Measures())
        found.append(Comparison(a, b, tuple(rows(left, right)), left, right))
    return found


def per_image_measures(scenario: Scenario, report: VerificationReport) -> dict[str, Measures]:
    measures: dict[str, Measures] = {}
    for name, facts in report.images.items():
        summary = report.analysis.get(name)
        measures[name] = Measures(
            size=facts.size,
            own=facts.own_size,
            layers=facts.layers,
            # An image whose archive could not be read has only an error: nothing was measured.
            reclaimable=summary.reclaimable_bytes if summary is not None and not summary.error else None,
        )
    for build in report.builds:
        entry = measures.setdefault(build.image_name, Measures())
        # The last build of an image is the one its facts describe (a rebuild comes after the build).
        entry.build_time = build.duration
        entry.cache = (sum(step.cached for step in build.steps), len(build.steps))
    for image, seconds in stop_times(scenario, report).items():
        measures.setdefault(image, Measures()).stop_time = seconds
    return measures


def stop_times(scenario: Scenario, report: VerificationReport) -> dict[str, float]:
    """How long `docker stop` took, per image, from the scenario's stop steps."""
    image_of: dict[str, str] = {}
    stopped: dict[int, str] = {}
    for index, step in enumerate(scenario.steps):
        if step.container_name:
            image_of[step.container_name] = step.image
        elif step.action == "stop" and step.container in image_of:
            stopped[index] = image_of[step.container]
    times: dict[str, float] = {}
    for step_report in report.steps:
        image = stopped.get(step_report.index)
        if image and step_report.status == "passed":
            times.setdefault(image, step_report.duration)
    return times


def rows(a: Measures, b: Measures) -> list[ComparisonRow]:
    found = [
        size_row("Image size", a.size, b.size),
        size_row("Added by the Dockerfile", a.own, b.own),
        count_row("Layers", a.layers, b.layers),
        size_row("Reclaimable bytes", a.reclaimable, b.reclaimable),
        seconds_row("Build time", a.build_time, b.build_time, tolerance=0.5),
        cache_row(a.cache, b.cache),
        seconds_row("Stop time", a.stop_time, b.stop_time, tolerance=0.5),
    ]
    return [row for row in found if row is not None]


def size_row(label: str, a, b) -> ComparisonRow | None:
    if a is None and b is None:
        return None
    left, right = text_or_dash(a, format_size), text_or_dash(b, format_size)
    if a is None or b is None or a == b:
        return ComparisonRow(label, left, right, "", "")
    change = f"{(b - a) / a * 100:+.0f} %" if a else f"+{format_size(b)}"
    return ComparisonRow(label, left, right, change, "right" if b < a else "left")


def count_row(label: str, a, b) -> ComparisonRow | None:
    if a is None and b is None:
        return None
    left, right = text_or_dash(a, str), text_or_dash(b, str)
    if a is None or b is None or a == b:
        return ComparisonRow(label, left, right, "", "")
    return ComparisonRow(label, left, right, f"{b - a:+d}", "right" if b < a else "left")


def seconds_row(label: str, a, b, *, tolerance: float) -> ComparisonRow | None:
    """Timings jitter: differences under `tolerance` seconds are shown as equal."""
    if a is None and b is None:
        return None
    left, right = text_or_dash(a, seconds_text), text_or_dash(b, seconds_text)
    if a is None or b is None or abs(b - a) < tolerance:
        return ComparisonRow(label, left, right, "", "")
    return ComparisonRow(label, left, right, f"{b - a:+.1f} s", "right" if b < a else "left")


def cache_row(a, b) -> ComparisonRow | None:
    if a is None and b is None:
        return None

    def text(pair) -> str:
        return f"{pair[0]} of {pair[1]} steps" if pair else "-"

    differs = bool(a and b and a[0] != b[0])
    better = "" if not differs else ("right" if b[0] > a[0] else "left")
    change = f"{b[0] - a[0]:+d}" if differs else ""
    return ComparisonRow("Steps from the cache", text(a), text(b), change, better)


def seconds_text(value: float) -> str:
    return f"{value:.1f} s"


def text_or_dash(value, formatter) -> str:
    return "-" if value is None else formatter(value)
