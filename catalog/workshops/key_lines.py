"""The key lines of a Dockerfile for a slide: its instructions, highlighted as the pattern page has them.

A slide has room for a dozen lines at projector size. Comments and blank lines are left out
(the speaker says what the comments say); what is left keeps its line number from the file,
so the room can find it on the pattern page, and a longer file says how many lines are not shown.
The highlighting is the stored Pygments output (one `<span class="line">` per line, made at
sync), never made again here.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from django.utils.safestring import SafeString, mark_safe

from catalog.verifications.lint_marks import LINE_START
from worker.scenario import Scenario

MAX_LINES = 14


@dataclass(frozen=True)
class KeyLines:
    path: str
    html: SafeString  # the highlighted lines kept, each numbered by data-line
    shown: int
    left_out: int  # instructions past MAX_LINES, not shown


def key_lines(path: str, content: str, highlighted: str, limit: int = MAX_LINES) -> KeyLines:
    """The file's instruction lines (at most `limit`); the highlighting's lines are the content's lines."""
    head, _, body = highlighted.partition(LINE_START)
    marked = (LINE_START + body).split("\n")
    texts = content.split("\n")
    wanted = [
        number
        for number, text in enumerate(texts, start=1)
        if text.strip() and not text.lstrip().startswith("#") and number <= len(marked)
    ]
    shown = wanted[:limit]
    lines = [
        marked[number - 1].replace(LINE_START, f'<span class="line" data-line="{number}">', 1)
        for number in shown
        if marked[number - 1].startswith(LINE_START)
    ]
    # Safe: the stored output of Pygments, which escaped the file; only its own spans are kept.
    html = mark_safe(head + "\n".join(lines) + "\n</pre></div>\n")
    return KeyLines(path=path, html=html, shown=len(lines), left_out=len(wanted) - len(shown))


def dockerfiles(scenario: Scenario | None, files: Sequence) -> list:
    """The files the example's images are built from, in the scenario's order; else any Dockerfile."""
    by_path = {file.path: file for file in files}
    named = [image.dockerfile for image in scenario.images] if scenario else []
    chosen = [by_path[path] for path in dict.fromkeys(named) if path in by_path]
    return chosen or [file for file in files if file.path.rsplit("/", 1)[-1].startswith("Dockerfile")]
