"""What the browser tests share: the real catalog loaded for a live server, and Chromium to drive it.

Playwright's sync API runs an event loop in the thread that uses it, inside which Django refuses
ORM calls: a test reads or writes what it needs in the database first, then starts the browser.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from playwright.sync_api import Browser, sync_playwright

from catalog.content.importer import sync_patterns
from catalog.models import ExampleFile, Pattern

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}


@dataclass(frozen=True)
class Site:
    url: str
    pattern_url: str  # a pattern with an example file
    file_content: str  # the first file of that pattern's first example
    search_term: str
    total: int
    runtime: int  # tiles in the runtime category


def load_real_site(url: str) -> Site:
    """The real patterns/ tree and the curated workshops, synced for the server at `url` to show."""
    report = sync_patterns(Path(settings.PATTERNS_DIR), Path(settings.WORKSHOPS_DIR))
    assert report.ok, [str(error) for error in report.errors]
    first = (
        ExampleFile.objects.filter(example__pattern__published=True)
        .select_related("example__pattern")
        .order_by(
            "example__pattern__table_column", "example__pattern__position", "example__position", "position"
        )
        .first()
    )
    assert first is not None, "the patterns/ tree has no example files"
    patterns = list(Pattern.objects.for_table())
    return Site(
        url=url,
        pattern_url=url + first.example.pattern.get_absolute_url(),
        file_content=first.content,
        search_term=first.example.pattern.name.split()[0],
        total=len(patterns),
        runtime=sum(any(c.slug == "runtime" for c in p.ordered_categories) for p in patterns),
    )


@contextmanager
def chromium(chromium_path: str) -> Iterator[Browser]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
