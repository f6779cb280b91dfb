"""Lint findings drawn into a highlighted listing: the right lines, all findings of a line, escaped."""

import re

from catalog.content.rendering import highlight_file
from catalog.verifications.layer_report import LintRow
from catalog.verifications.lint_marks import mark_lines

DOCKERFILE = "FROM busybox:1.35\nRUN echo one\nRUN echo two\n"


def finding(line: int, code: str, level: str = "warning", message: str = "m", wasted: str = "") -> LintRow:
    return LintRow(code, level, line, message, wasted, path="Dockerfile", anchor=f"lint-x-dockerfile-{line}")


def test_only_the_lines_with_findings_are_marked_and_the_text_is_unchanged():
    highlighted, _ = highlight_file("Dockerfile", DOCKERFILE)
    marked = mark_lines(highlighted, {2: (finding(2, "DL3009", message="Delete the lists", wasted="12 kB"),)})
    assert marked.count(' id="lint-') == 1
    assert '<span class="line line--lint line--lint-warning" id="lint-x-dockerfile-2"' in marked
    assert 'data-lint="DL3009 Delete the lists (costs 12 kB)"' in marked
    unmarked = re.sub(r'<span class="line line--lint[^>]*>', '<span class="line">', marked)
    assert unmarked == highlighted


def test_a_line_with_several_findings_shows_all_and_takes_the_gravest_level():
    highlighted, _ = highlight_file("Dockerfile", DOCKERFILE)
    rows = (finding(3, "DL3059", level="info"), finding(3, "SC2086", level="error"))
    marked = mark_lines(highlighted, {3: rows})
    assert "line--lint-error" in marked and 'data-lint="DL3059 m; SC2086 m"' in marked


def test_finding_text_is_escaped_inside_the_attribute():
    highlighted, _ = highlight_file("Dockerfile", DOCKERFILE)
    marked = mark_lines(highlighted, {1: (finding(1, "SC1000", message='"><script>alert(1)</script>'),)})
    assert "<script>" not in marked
    assert "&quot;&gt;&lt;script&gt;" in marked


def test_without_findings_the_listing_is_returned_as_it_was():
    highlighted, _ = highlight_file("Dockerfile", DOCKERFILE)
    assert mark_lines(highlighted, {}) == highlighted
