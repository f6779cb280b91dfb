"""The handout printed to PDF by Chromium on A4 and on Letter: the paper size asked for, a sane page count,
and no line of code cut off (nothing overflows in print media, and the longest command's end is in the PDF).

Playwright's sync API runs an event loop in this thread, inside which Django refuses ORM calls;
so the fixture reads what the test needs from the database before the browser starts.
"""

import io
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.core.cache import cache
from pypdf import PdfReader

from catalog.content.importer import sync_patterns
from catalog.models import Example, Workshop
from tests.test_browser import chromium

pytestmark = pytest.mark.browser

WORKSHOP = "composite-containers"  # the larger curated workshop: eleven items, Compose files, long commands
EYEBROW = re.compile(r"^\d+ · .+ · \d+ MIN · (CORE|EXTRA)$")  # upper case: the eyebrow's CSS
POINTS = {"a4": (595, 842), "letter": (612, 792)}  # the page's size in PostScript points


@dataclass(frozen=True)
class Handout:
    url: str
    items: int
    longest_command: str


@pytest.fixture
def handout(live_server, transactional_db, settings) -> Handout:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    report = sync_patterns(Path(settings.PATTERNS_DIR), Path(settings.WORKSHOPS_DIR))
    assert report.ok, [str(error) for error in report.errors]
    workshop = Workshop.objects.with_agenda().get(slug=WORKSHOP)
    items = [item for part in workshop.parts.all() for item in part.items.all()]
    shown = {(item.pattern_id, slug) for item in items for slug in item.examples}
    examples = [
        e
        for e in Example.objects.filter(pattern__in=[i.pattern_id for i in items])
        if (e.pattern_id, e.slug) in shown
    ]
    lines = [
        line for e in examples for command in e.parsed_scenario.commands for line in command.run.splitlines()
    ]
    return Handout(live_server.url + f"/workshops/{WORKSHOP}/handout/", len(items), max(lines, key=len))


def squeezed(text: str) -> str:
    """Without the line breaks a wrapped line gains, the spaces a PDF's text may add, or ligatures."""
    return re.sub(r"\s+", "", text).replace("\ufb01", "fi").replace("\ufb02", "fl")


@pytest.mark.parametrize("paper", ["a4", "letter"])
def test_the_handout_prints_whole_on_its_paper(handout, chromium_path, paper):
    with chromium(chromium_path) as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(f"{handout.url}?paper={paper}")
        page.emulate_media(media="print")
        cut_off = page.eval_on_selector_all(
            "pre, code",
            "found => found.filter(e => e.scrollWidth > e.clientWidth).map(e => e.textContent.slice(0, 60))",
        )
        assert cut_off == []
        assert page.locator(".site-header").is_hidden() and page.locator(".handout-tools").is_hidden()
        pdf = page.pdf(prefer_css_page_size=True, print_background=True)

    reader = PdfReader(io.BytesIO(pdf))
    box = reader.pages[0].mediabox
    assert (round(float(box.width)), round(float(box.height))) == POINTS[paper]
    # A title page, then each item on a new page; a long file or many commands take a few more
    # (33 A4 pages for the 11 items of composite-containers, its files without example.yaml).
    assert handout.items + 1 <= len(reader.pages) <= handout.items * 4, len(reader.pages)
    pages = [page.extract_text().splitlines() for page in reader.pages]
    # Each item's header (its eyebrow, "3 · PART · 20 MIN · CORE") opens a page, never ends one.
    headers = [
        (number, index)
        for number, lines in enumerate(pages)
        for index, line in enumerate(lines)
        if EYEBROW.match(line)
    ]
    assert len(headers) == handout.items and all(index == 0 for _, index in headers), headers
    text = squeezed("".join(page.extract_text() for page in reader.pages))
    assert squeezed(handout.longest_command)[-24:] in text
    assert "Composite containers" in "".join(reader.pages[0].extract_text().splitlines())
