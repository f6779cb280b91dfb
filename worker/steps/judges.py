"""Expectations judged against what a step observed, as Checks that keep the observed value.

Pure: a step gathers its observations in a mapping (exit code, output, timings,
image facts...) and `evaluate` compares, with the judges of the step's own action.
The observed value is recorded whether the check passes or not, so a page can show
"expected <= 2.00 s, observed 0.31 s". The judges several actions share live here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

from worker.contract.quantities import format_size
from worker.contract.results import Check
from worker.expressions import SEARCH_SECONDS, search_bounded


class Verdict(NamedTuple):
    expected: str
    observed: str
    passed: bool
    detail: str = ""


Observed = Mapping[str, Any]
Judge = Callable[[Any, Observed], list[Verdict]]


class Expectation(NamedTuple):
    """One expectation an action accepts: how example.yaml writes it, and how it is judged."""

    kind: str  # how the schema checks the expected value: a kind of worker/scenario/kinds.py
    judge: Judge


Expectations = Mapping[str, Expectation]


def evaluate(
    step_index: int, action: str, expect: Mapping[str, Any], observed: Observed, expectations: Expectations
) -> list[Check]:
    """One Check per expectation (per item for lists such as output_contains)."""
    checks = []
    for name, expected in expect.items():
        known = expectations.get(name)
        if known is None:  # fails rather than passing silently (the schema lets none through)
            verdicts = [Verdict(str(expected), "", False, "unknown")]
        else:
            verdicts = known.judge(expected, observed)
        checks.extend(Check(step_index, action, name, *verdict) for verdict in verdicts)
    return checks


def seconds(value: float | None) -> str:
    return "none" if value is None else f"{value:.2f} s"


def size(value: int) -> str:
    return f"{format_size(value)} ({value} bytes)"


def texts(value: Any) -> list[str]:
    return [value] if isinstance(value, str) else list(value)


def excerpt(line: str, width: int = 160) -> str:
    line = line.strip()
    return f'"{line[: width - 3]}..."' if len(line) > width else f'"{line}"'


def _found(text: str, needle: str) -> str:
    line = next((line for line in text.splitlines() if needle in line), None)
    return f"found in line {excerpt(line)}" if line is not None else "found (across lines)"


def _absent(text: str) -> str:
    lines = text.splitlines()
    return f"absent from {len(lines)} lines of output" if lines else "absent: there was no output"


def _tail(text: str) -> str:
    lines = text.strip().splitlines()[-3:]
    return "output ends with: " + " / ".join(excerpt(line, 100) for line in lines) if lines else ""


def contains(key: str) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        text = str(observed.get(key) or "")
        return [
            Verdict(f"contains {excerpt(n)}", _found(text, n), True)
            if n in text
            else Verdict(f"contains {excerpt(n)}", _absent(text), False, _tail(text))
            for n in texts(expected)
        ]

    return judge


def not_contains(key: str) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        text = str(observed.get(key) or "")
        return [
            Verdict(f"does not contain {excerpt(n)}", _found(text, n), False)
            if n in text
            else Verdict(f"does not contain {excerpt(n)}", _absent(text), True)
            for n in texts(expected)
        ]

    return judge


def matches(key: str) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        text = str(observed.get(key) or "")
        # MULTILINE (search_bounded's default): authors anchor a line (^65534$), not the whole output.
        # Bounded in time: an expression that backtracks for ever fails its check instead of hanging the run.
        search = search_bounded(expected, text)
        if search.found is not None:
            return [Verdict(f"matches /{expected}/", f"matched {excerpt(search.found)}", True)]
        if not search.answered:
            slow = f"no answer within {SEARCH_SECONDS:g} s: the expression backtracks too much on this output"
            return [Verdict(f"matches /{expected}/", slow, False, _tail(text))]
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


OUTPUT: Expectations = {
    "output_contains": Expectation("texts", contains("output")),
    "output_not_contains": Expectation("texts", not_contains("output")),
    "output_matches": Expectation("regex", matches("output")),
}
EXIT_CODE = Expectation("integer", equals("exit_code"))
DURATION_MAX = Expectation("duration", bound("duration", at_most=True))
