"""Lint findings drawn into the highlighted Dockerfile, at the line they are about.

The highlighted files are rendered once, at sync time; the findings come from the newest
verification. So the marks are added when the page is rendered: the line's span gets a class,
an anchor that the finding's entry in the layer report links to, and the finding's text in a
data attribute that CSS shows beside the line (generated content, so a copy of the file does not
pick it up).
"""

import dataclasses
import itertools
import re
from collections.abc import Mapping

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

from catalog.verifications.layer_report import LayerReport, LintRow

LINE_START = '<span class="line">'
LEVELS = ("error", "warning", "info", "style")  # the first one a line has decides its colour


def lint_anchor(example_slug: str, path: str, line: int) -> str:
    return f"lint-{example_slug}-{slugify(path) or 'file'}-{line}"


def anchored(report: LayerReport | None, example_slug: str, path: str) -> LayerReport | None:
    """The report with each finding pointing at its line in the listed file."""
    if report is None or not report.lint or not path:
        return report
    lint = tuple(
        dataclasses.replace(row, path=path, anchor=lint_anchor(example_slug, path, row.line))
        for row in report.lint
    )
    return dataclasses.replace(report, lint=lint)


def marks_by_file(reports: list[LayerReport | None]) -> dict[str, dict[int, tuple[LintRow, ...]]]:
    """path -> line -> its findings; an image built twice from one Dockerfile counts once."""
    found: dict[str, dict[int, dict[tuple[str, str], LintRow]]] = {}
    for report in reports:
        for row in report.lint if report else ():
            if row.path:
                found.setdefault(row.path, {}).setdefault(row.line, {})[(row.code, row.message)] = row
    return {
        path: {line: tuple(rows.values()) for line, rows in lines.items()} for path, lines in found.items()
    }


def mark_lines(highlighted: str, marks: Mapping[int, tuple[LintRow, ...]]) -> SafeString:
    """The highlighted HTML with each line that has findings marked; other lines untouched."""
    if not marks:
        return mark_safe(highlighted)
    counter = itertools.count(1)  # the n-th line span is line n

    def replace(match: re.Match) -> str:
        rows = marks.get(next(counter))
        if not rows:
            return match.group(0)
        level = min((row.level for row in rows), key=lambda lv: LEVELS.index(lv) if lv in LEVELS else 9)
        text = "; ".join(
            f"{row.code} {row.message}" + (f" (costs {row.wasted_text})" if row.wasted_text else "")
            for row in rows
        )
        return (
            f'<span class="line line--lint line--lint-{escape(level)}" id="{escape(rows[0].anchor)}" '
            f'data-lint="{escape(text)}">'
        )

    return mark_safe(re.sub(re.escape(LINE_START), replace, highlighted))
