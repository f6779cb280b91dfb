"""Two images of one example side by side: the measured difference between a variant and its fix.

The pairs are the example's own `compare` entries (the author said which two matter), or its
only two images. Every figure comes from the verification's result; a figure that one side
lacks (an image that was never stopped has no stop time) is shown as a dash, not invented.
"""

from collections.abc import Mapping
from dataclasses import dataclass

from worker.quantities import format_size


@dataclass(frozen=True)
class Row:
    label: str
    left: str
    right: str
    change: str  # "" when equal, else how the right side differs from the left ("-92 %", "+3")
    better: str  # "left", "right" or "" (equal, or no side is better)


@dataclass(frozen=True)
class Comparison:
    left: str
    right: str
    rows: tuple[Row, ...]

    @property
    def differences(self) -> int:
        return sum(bool(row.change) for row in self.rows)


def image_pairs(scenario: Mapping, images: Mapping) -> list[tuple[str, str]]:
    pairs = [tuple(entry.get("images") or ()) for entry in scenario.get("compare") or ()]
    pairs = [(a, b) for a, b in pairs if a in images and b in images]
    if not pairs and len(images) == 2:
        pairs = [tuple(images)]
    return list(dict.fromkeys(pairs))  # the same pair compared twice is shown once


def compare_images(scenario: Mapping, result: Mapping) -> list[Comparison]:
    images = result.get("images") or {}
    measures = per_image_measures(scenario, result)
    return [
        Comparison(a, b, tuple(rows(measures.get(a, {}), measures.get(b, {}))))
        for a, b in image_pairs(scenario, images)
    ]


def per_image_measures(scenario: Mapping, result: Mapping) -> dict[str, dict]:
    measures: dict[str, dict] = {}
    analysis = result.get("analysis") or {}
    for name, facts in (result.get("images") or {}).items():
        measures[name] = {
            "size": facts.get("size"),
            "own": facts.get("own_size"),
            "layers": facts.get("layers"),
            "reclaimable": (analysis.get(name) or {}).get("reclaimable_bytes"),
        }
    for build in result.get("builds") or ():
        entry = measures.setdefault(str(build.get("image_name")), {})
        steps = build.get("steps") or ()
        # The last build of an image is the one its facts describe (a rebuild comes after the build).
        entry["build_time"] = build.get("duration")
        entry["cache"] = (sum(bool(step.get("cached")) for step in steps), len(steps))
    for image, seconds in stop_times(scenario, result).items():
        measures.setdefault(image, {})["stop_time"] = seconds
    return measures


def stop_times(scenario: Mapping, result: Mapping) -> dict[str, float]:
    """How long `docker stop` took, per image, from the scenario's stop steps."""
    image_of: dict[str, str] = {}
    stopped: dict[int, str] = {}
    for index, step in enumerate(scenario.get("steps") or ()):
        params = step.get("params") or {}
        if step.get("action") == "run" and params.get("name"):
            image_of[params["name"]] = params.get("image", "")
        elif step.get("action") == "stop" and params.get("container") in image_of:
            stopped[index] = image_of[params["container"]]
    times: dict[str, float] = {}
    for report in result.get("steps") or ():
        image = stopped.get(report.get("index"))
        if image and report.get("status") == "passed":
            times.setdefault(image, float(report.get("duration") or 0))
    return times


def rows(a: Mapping, b: Mapping) -> list[Row]:
    found = [
        size_row("Image size", a.get("size"), b.get("size")),
        size_row("Added by the Dockerfile", a.get("own"), b.get("own")),
        count_row("Layers", a.get("layers"), b.get("layers")),
        size_row("Reclaimable bytes", a.get("reclaimable"), b.get("reclaimable")),
        seconds_row("Build time", a.get("build_time"), b.get("build_time"), tolerance=0.5),
        cache_row(a.get("cache"), b.get("cache")),
        seconds_row("Stop time", a.get("stop_time"), b.get("stop_time"), tolerance=0.5),
    ]
    return [row for row in found if row is not None]


def size_row(label: str, a, b) -> Row | None:
    if a is None and b is None:
        return None
    left, right = text_or_dash(a, format_size), text_or_dash(b, format_size)
    if a is None or b is None or a == b:
        return Row(label, left, right, "", "")
    change = f"{(b - a) / a * 100:+.0f} %" if a else f"+{format_size(b)}"
    return Row(label, left, right, change, "right" if b < a else "left")


def count_row(label: str, a, b) -> Row | None:
    if a is None and b is None:
        return None
    left, right = text_or_dash(a, str), text_or_dash(b, str)
    if a is None or b is None or a == b:
        return Row(label, left, right, "", "")
    return Row(label, left, right, f"{b - a:+d}", "right" if b < a else "left")


def seconds_row(label: str, a, b, *, tolerance: float) -> Row | None:
    """Timings jitter: differences under `tolerance` seconds are shown as equal."""
    if a is None and b is None:
        return None
    left, right = text_or_dash(a, seconds_text), text_or_dash(b, seconds_text)
    if a is None or b is None or abs(b - a) < tolerance:
        return Row(label, left, right, "", "")
    return Row(label, left, right, f"{b - a:+.1f} s", "right" if b < a else "left")


def cache_row(a, b) -> Row | None:
    if a is None and b is None:
        return None

    def text(pair) -> str:
        return f"{pair[0]} of {pair[1]} steps" if pair else "-"

    differs = bool(a and b and a[0] != b[0])
    better = "" if not differs else ("right" if b[0] > a[0] else "left")
    change = f"{b[0] - a[0]:+d}" if differs else ""
    return Row("Steps from the cache", text(a), text(b), change, better)


def seconds_text(value: float) -> str:
    return f"{value:.1f} s"


def text_or_dash(value, formatter) -> str:
    return "-" if value is None else formatter(value)
