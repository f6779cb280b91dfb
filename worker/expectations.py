"""Expectations of example.yaml judged against what a step observed, as Checks that keep the observed value.

Pure: a step gathers its observations in a mapping (exit code, output, timings,
image facts...) and `evaluate` compares. The observed value is recorded whether
the check passes or not, so a page can show "expected <= 2.00 s, observed 0.31 s".
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from worker.contract.results import Check
from worker.image_ids import short_id
from worker.quantities import format_size


class Verdict(NamedTuple):
    expected: str
    observed: str
    passed: bool
    detail: str = ""


Observed = Mapping[str, Any]
Judge = Callable[[Any, Observed], list[Verdict]]


def evaluate(step_index: int, action: str, expect: Mapping[str, Any], observed: Observed) -> list[Check]:
    """One Check per expectation (per item for lists such as output_contains)."""
    checks = []
    for name, expected in expect.items():
        judge = JUDGES.get(name)
        verdicts = judge(expected, observed) if judge else [Verdict(str(expected), "", False, "unknown")]
        checks.extend(Check(step_index, action, name, *verdict) for verdict in verdicts)
    return checks


def seconds(value: float | None) -> str:
    return "none" if value is None else f"{value:.2f} s"


def size(value: int) -> str:
    return f"{format_size(value)} ({value} bytes)"


def _texts(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def _excerpt(line: str, width: int = 160) -> str:
    line = line.strip()
    return f'"{line[: width - 3]}..."' if len(line) > width else f'"{line}"'


def _found(text: str, needle: str) -> str:
    line = next((line for line in text.splitlines() if needle in line), None)
    return f"found in line {_excerpt(line)}" if line is not None else "found (across lines)"


def _absent(text: str) -> str:
    lines = text.splitlines()
    return f"absent from {len(lines)} lines of output" if lines else "absent: there was no output"


def _tail(text: str) -> str:
    lines = text.strip().splitlines()[-3:]
    return "output ends with: " + " / ".join(_excerpt(line, 100) for line in lines) if lines else ""


def contains(key: str) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        text = str(observed.get(key) or "")
        return [
            Verdict(f"contains {_excerpt(n)}", _found(text, n), True)
            if n in text
            else Verdict(f"contains {_excerpt(n)}", _absent(text), False, _tail(text))
            for n in _texts(expected)
        ]

    return judge


def not_contains(key: str) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        text = str(observed.get(key) or "")
        return [
            Verdict(f"does not contain {_excerpt(n)}", _found(text, n), False)
            if n in text
            else Verdict(f"does not contain {_excerpt(n)}", _absent(text), True)
            for n in _texts(expected)
        ]

    return judge


def matches(key: str) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        text = str(observed.get(key) or "")
        # MULTILINE: authors anchor a line (^65534$), not the whole output.
        match = re.search(expected, text, re.MULTILINE)
        if match:
            return [Verdict(f"matches /{expected}/", f"matched {_excerpt(match.group(0))}", True)]
        return [Verdict(f"matches /{expected}/", f"no match; {_absent(text)}", False, _tail(text))]

    return judge


def equals(key: str, show: Callable[[Any], str] = str) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        value = observed.get(key)
        return [Verdict(f"= {show(expected)}", "none" if value is None else show(value), value == expected)]

    return judge


def bound(key: str, at_most: bool, show: Callable[[Any], str] = seconds) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        value = observed.get(key)
        passed = value is not None and (value <= expected if at_most else value >= expected)
        return [Verdict(f"{'<=' if at_most else '>='} {show(expected)}", show(value), passed)]

    return judge


def rows_bound(at_most: bool) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        count = len(observed.get("rows") or ())
        passed = count <= expected if at_most else count >= expected
        return [Verdict(f"{'<=' if at_most else '>='} {expected} processes", f"{count} processes", passed)]

    return judge


def build_succeeds(expected: Any, observed: Observed) -> list[Verdict]:
    build = observed["build"]
    seen = "built" if build.ok else f"failed: {build.error}"
    return [Verdict("builds" if expected else "fails to build", seen, build.ok == expected)]


def cache(hit: bool) -> Judge:
    """Every build step whose instruction contains the text came from the cache (or none did)."""

    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        verdicts = []
        for text in _texts(expected):
            steps = [s for s in observed["build"].steps if text.lower() in s.instruction.lower()]
            shown = "; ".join(
                f"step {s.number} {s.instruction[:80]}: {'from cache' if s.cached else 'rebuilt'}"
                for s in steps
            )
            passed = bool(steps) and all(s.cached == hit for s in steps)
            wanted = f"{'from cache' if hit else 'rebuilt'}: {_excerpt(text)}"
            verdicts.append(Verdict(wanted, shown or "no build step matches", passed))
        return verdicts

    return judge


def _facts(observed: Observed, key: str = "image") -> Any:
    return observed[key]


def image_bound(attribute: str, at_most: bool, show: Callable[[Any], str]) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        value = getattr(_facts(observed), attribute)
        passed = value <= expected if at_most else value >= expected
        return [Verdict(f"{'<=' if at_most else '>='} {show(expected)}", show(value), passed)]

    return judge


def image_layers(expected: Any, observed: Observed) -> list[Verdict]:
    layers = _facts(observed).layers
    return [Verdict(f"= {expected} layers", f"{layers} layers", layers == expected)]


def image_labels(expected: Any, observed: Observed) -> list[Verdict]:
    labels = _facts(observed).labels
    wrong = {k: labels.get(k) for k, v in expected.items() if labels.get(k) != v}
    shown = ", ".join(f"{k}={labels.get(k, '(missing)')}" for k in expected)
    return [Verdict(", ".join(f"{k}={v}" for k, v in expected.items()), shown, not wrong)]


def image_subset(attribute: str) -> Judge:
    """The listed ports or volumes are all declared (the image may declare more, e.g. from its base)."""

    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        values = getattr(_facts(observed), attribute)
        passed = set(expected) <= set(values)
        return [Verdict("includes " + ", ".join(expected), ", ".join(values) or "none", passed)]

    return judge


def image_user(expected: Any, observed: Observed) -> list[Verdict]:
    user = _facts(observed).user
    # No USER means root, so "root" and "0" describe an image that names no user.
    passed = user == expected or (not user and expected in ("root", "0", "0:0"))
    return [Verdict(f"= {expected}", user or '"" (root)', passed)]


def image_command(attribute: str) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        value = getattr(_facts(observed), attribute)
        shown = "none" if value is None else str(list(value))
        return [Verdict(f"= {expected}", shown, _same_command(expected, value))]

    return judge


def _same_command(expected: str | list[str], value: tuple[str, ...] | None) -> bool:
    """A list must match exactly; text matches the argv it splits into, or the shell form of itself."""
    if value is None:
        return False
    actual = list(value)
    if isinstance(expected, list):
        return expected == actual
    try:
        split = shlex.split(expected)
    except ValueError:
        split = None
    return actual in (split, ["/bin/sh", "-c", expected]) or " ".join(actual) == expected


def image_files(present: bool) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        files = observed.get("files") or {}
        verdicts = []
        for path in _texts(expected):
            seen = files.get(path)
            shown = "unknown" if seen is None else ("present" if seen else "absent")
            verdicts.append(Verdict("present" if present else "absent", f"{path}: {shown}", seen is present))
        return verdicts

    return judge


def image_onbuild(expected: Any, observed: Observed) -> list[Verdict]:
    triggers = _facts(observed).onbuild
    return [
        Verdict(f"an ONBUILD trigger contains {_excerpt(text)}", "; ".join(triggers) or "no triggers",
                any(text in trigger for trigger in triggers))
        for text in _texts(expected)
    ]  # fmt: skip


def image_healthcheck(expected: Any, observed: Observed) -> list[Verdict]:
    test = _facts(observed).healthcheck
    shown = " ".join(test) if test else "none"
    return [
        Verdict(
            "has a HEALTHCHECK" if expected else "has no HEALTHCHECK", shown, (test is not None) == expected
        )
    ]


def ratio(at_most: bool) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        a, b = observed["a"], observed["b"]
        value = a.size / b.size if b.size else float("inf")
        passed = value <= expected if at_most else value >= expected
        shown = f"{value:.4g} ({a.name} {format_size(a.size)} / {b.name} {format_size(b.size)})"
        return [Verdict(f"{'<=' if at_most else '>='} {expected:g}", shown, passed)]

    return judge


def compared(what: str, attribute: str, relation: Callable[[Any, Any], bool], show: Callable) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        a, b = observed["a"], observed["b"]
        holds = relation(getattr(a, attribute), getattr(b, attribute))
        shown = f"{a.name} {show(getattr(a, attribute))}, {b.name} {show(getattr(b, attribute))}"
        return [Verdict(f"{a.name} {what} {b.name}: {'yes' if expected else 'no'}", shown, holds == expected)]

    return judge


JUDGES: dict[str, Judge] = {
    "exit_code": equals("exit_code"),
    "oom_killed": equals("oom_killed"),
    "duration_max": bound("duration", at_most=True),
    "duration_min": bound("duration", at_most=False),
    "stopped_within": bound("stop_seconds", at_most=True),
    "stopped_after": bound("stop_seconds", at_most=False),
    "output_contains": contains("output"),
    "output_not_contains": not_contains("output"),
    "output_matches": matches("output"),
    "status": equals("status"),
    "body_contains": contains("body"),
    "body_not_contains": not_contains("body"),
    "body_matches": matches("body"),
    "health": equals("health"),
    "count_max": rows_bound(at_most=True),
    "count_min": rows_bound(at_most=False),
    "succeeds": build_succeeds,
    "cache_hit": cache(hit=True),
    "cache_miss": cache(hit=False),
    "size_max": image_bound("size", at_most=True, show=size),
    "size_min": image_bound("size", at_most=False, show=size),
    "layers": image_layers,
    "layers_max": image_bound("layers", at_most=True, show=lambda n: f"{n} layers"),
    "layers_min": image_bound("layers", at_most=False, show=lambda n: f"{n} layers"),
    "labels": image_labels,
    "exposed_ports": image_subset("exposed_ports"),
    "volumes": image_subset("volumes"),
    "user": image_user,
    "entrypoint": image_command("entrypoint"),
    "cmd": image_command("cmd"),
    "files_present": image_files(present=True),
    "files_absent": image_files(present=False),
    "onbuild": image_onbuild,
    "healthcheck": image_healthcheck,
    "size_ratio_max": ratio(at_most=True),
    "size_ratio_min": ratio(at_most=False),
    "smaller": compared("is smaller than", "size", lambda a, b: a < b, format_size),
    "fewer_layers": compared("has fewer layers than", "layers", lambda a, b: a < b, lambda n: f"{n} layers"),
    "same_id": compared("has the same ID as", "id", lambda a, b: a == b, lambda i: short_id(i) or i),
}
