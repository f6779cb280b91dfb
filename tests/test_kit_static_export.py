"""A workshop's static export (catalog/kits/static_export.py): its pages opened from file:// in headless
Chromium with every link and asset loading and nothing asked of a network, the slides moving with the
keyboard, the same bytes when exported twice, and pages left out named as text, never linked.

As in tests/test_browser.py, everything the database must give is read before Playwright starts.
"""

from __future__ import annotations

import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from django.contrib.auth import get_user_model
from playwright.sync_api import expect

from catalog.content.importer import sync_patterns
from catalog.kits.offline_pages import OfflinePageError, PageContext, offline_page
from catalog.kits.plan import KitPlan, plan_for
from catalog.kits.static_export import export_site, render_host
from catalog.models import Example, PatternRelation
from catalog.workshops.export import workshop_source
from catalog.workshops.models import Workshop
from catalog.workshops.owned import save_as_own
from tests.test_browser import DESKTOP, chromium
from tests.verification_results import finished, passed_result, running
from tests.workshop_files import synced_site

pytestmark = pytest.mark.django_db

WORKSHOP, CUT = "dockerfiles-that-behave", "ninety-minutes"  # a curated workshop and its cut without extras
OFFLINE_TIME = re.compile(r"<time [^>]*>\d{4}-\d\d-\d\d \d\d:\d\d UTC</time>")


@pytest.fixture
def curated(settings) -> KitPlan:
    """The real catalog and its curated workshops; the cut's examples verified, the first running again."""
    report = sync_patterns(Path(settings.PATTERNS_DIR), Path(settings.WORKSHOPS_DIR))
    assert report.ok, [str(error) for error in report.errors]
    plan = plan_for(WORKSHOP, CUT)
    examples = [Example.objects.get(pattern__slug=e.pattern, slug=e.slug) for e in plan.examples]
    for example in examples:
        finished(example, "passed", passed_result())
    running(examples[0], log="Step 1/4 : FROM debian:bookworm-slim\n")
    return plan


def write_export(files: dict[str, bytes], folder: Path) -> Path:
    for name, content in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_bytes(content)
    return folder / "site"


class Attributes(HTMLParser):
    """Every (tag, attribute, value) of a page."""

    def __init__(self, html: str):
        super().__init__()
        self.found: list[tuple[str, str, str]] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.found += [(tag, name, value or "") for name, value in attrs]


def refuse(route, outside: list[str]) -> None:
    outside.append(route.request.url)
    route.abort()


def pages_of(files: dict[str, bytes]) -> dict[str, str]:
    return {name: content.decode() for name, content in files.items() if name.endswith(".html")}


def test_the_export_opens_from_file_with_every_link_and_asset_loading_and_the_slides_move(
    curated, tmp_path, chromium_path
):
    files = export_site(curated)
    site = write_export(files, tmp_path)
    exported = {path.resolve() for path in site.rglob("*.html")}
    slides = pages_of(files)["site/slides.html"].count('aria-roledescription="slide"')
    assert slides > 10

    loaded, failed, outside, errors = [], [], [], []
    visited: dict[Path, set[str]] = {}  # page -> the ids in it
    wanted: list[tuple[Path, str, Path]] = []  # (page, fragment, the page linking to it)
    external: set[str] = set()
    with chromium(chromium_path) as browser:
        context = browser.new_context(viewport=DESKTOP)
        # Nothing may leave the machine; were a page to try, the request is recorded and refused.
        context.route(re.compile(r"^(https?|wss?)://"), lambda route: refuse(route, outside))
        page = context.new_page()
        page.on("request", lambda request: loaded.append(request.url))
        page.on("requestfailed", lambda request: note_failure(failed, request))
        page.on("pageerror", lambda error: errors.append(str(error)))

        queue = [site / "index.html"]
        while queue:
            path = queue.pop(0).resolve()
            if path in visited:
                continue
            assert path.is_file(), f"a link leads to {path}, which is not in the export"
            page.goto(path.as_uri())
            assert page.title().endswith("Container Patterns Catalog")
            visited[path] = set(page.eval_on_selector_all("[id]", "all => all.map(e => e.id)"))
            for asset in page.eval_on_selector_all(
                "link[href], script[src], img[src]", "all => all.map(e => e.href || e.src)"
            ):
                assert asset.startswith("file://") and Path(unquote(urlsplit(asset).path)).is_file(), asset
            for link in page.eval_on_selector_all("a[href]", "all => all.map(a => a.href)"):
                if not link.startswith("file://"):
                    external.add(link)
                    continue
                target = Path(unquote(urlsplit(link).path)).resolve()
                if urlsplit(link).fragment:
                    wanted.append((target, unquote(urlsplit(link).fragment), path))
                queue.append(target)

        page.goto((site / "slides.html").as_uri())
        deck = page.locator("#deck")
        expect(deck).to_have_attribute("data-current", "1")
        page.keyboard.press("ArrowRight")
        expect(deck).to_have_attribute("data-current", "2")
        assert page.url.endswith("slides.html#2")
        page.keyboard.press("End")
        expect(deck).to_have_attribute("data-current", str(slides))
        page.keyboard.press("ArrowLeft")
        expect(deck).to_have_attribute("data-current", str(slides - 1))
        page.keyboard.press("Home")
        expect(deck).to_have_attribute("data-current", "1")
        expect(page.locator(".deck__slides > .slide:visible")).to_have_count(1)
        page.keyboard.press("p")
        expect(page.locator("[data-presenter]")).to_be_visible()
        page.keyboard.press("PageDown")
        page.keyboard.press("PageDown")
        expect(deck).to_have_attribute("data-current", "3")
        page.reload()  # from file:// too, the place is kept in the address
        expect(deck).to_have_attribute("data-current", "3")

    assert set(visited) == exported, "every exported page is reached from index.html"
    assert outside == [] and failed == [] and errors == []
    assert loaded and all(url.startswith("file://") for url in loaded)
    assert {url for url in loaded if "/static/" in url} >= {(site / "static/js/slides.js").as_uri()}
    broken = [
        f"{source.name} -> {target.name}#{part}"
        for target, part, source in wanted
        if part not in visited[target]
    ]
    assert broken == []
    # Links out are a pattern's sources and the like: other sites, never the catalog's own pages.
    assert all(urlsplit(link).scheme == "https" for link in external), external
    assert not any(urlsplit(link).hostname in (render_host(), "localhost") for link in external)


def test_two_exports_are_the_same_bytes_with_times_written_out(curated):
    first = export_site(curated)
    assert export_site(plan_for(WORKSHOP, CUT)) == first
    assert list(first) == sorted(first)
    pages = pages_of(first)
    assert set(pages) >= {
        "site/index.html",
        "site/slides.html",
        "site/handout.html",
        "site/handout-letter.html",
    }
    assert {f"site/patterns/{e.pattern}.html" for e in curated.examples} <= set(pages)
    # "3 minutes ago" would change with the clock: the export says when, in UTC.
    assert not any(re.search(r"\bago</time>|just now", html) for html in pages.values())
    assert OFFLINE_TIME.search(pages["site/slides.html"]) and OFFLINE_TIME.search(
        pages["site/patterns/exec-form-entrypoint.html"]
    )
    # Only the static files the pages use, and the category colours the database gives.
    assert sorted(name for name in first if name.startswith("site/static/js/")) == [
        "site/static/js/copy.js",
        "site/static/js/slides.js",
    ]
    assert b".cat-" in first["site/static/categories.css"]


def test_pages_left_out_are_text_not_broken_links_and_nothing_needs_the_server(curated):
    files = export_site(curated)
    pages = pages_of(files)
    workshop = Workshop.objects.with_agenda().get(slug=WORKSHOP)
    every = {item.pattern.slug for part in workshop.parts.all() for item in part.items.all()}
    shown = {
        name.removeprefix("site/patterns/").removesuffix(".html") for name in pages if "/patterns/" in name
    }
    dropped = every - shown
    assert dropped, "the cut leaves extras out"
    related = PatternRelation.objects.filter(source__slug__in=shown).exclude(target__slug__in=shown).first()
    assert related is not None
    # The handout's QR codes are left out (they would hold the building machine's address): so are its
    # words about them.
    handout = pages["site/handout.html"]
    assert "handout-qr" not in handout and "Scan a pattern" not in handout
    for name, html in pages.items():
        for tag, attribute, value in Attributes(html).found:
            if attribute.endswith("-url") or attribute == "action":
                pytest.fail(f"{name}: <{tag} {attribute}> needs the server")
            if attribute not in ("href", "src") or value.startswith("#"):
                continue
            if urlsplit(value).scheme:
                assert tag == "a" and value.startswith("https://"), f"{name}: {tag} {value}"
                continue
            target = posixpath.normpath(posixpath.join(posixpath.dirname(name), urlsplit(value).path))
            assert target in files, f"{name} links to {value}, which is not in the export"
        assert "<form" not in html
        assert not any(f"patterns/{slug}.html" in html for slug in dropped), name
    page = pages[f"site/patterns/{related.source.slug}.html"]
    assert f'<span class="related__name">{related.target.name}</span>' in page
    assert f"patterns/{related.target.slug}.html" not in page
    assert "data-live-url" not in page and "Verify again" not in page and "Download files" not in page
    slides = pages["site/slides.html"]
    assert "Present live" not in slides and "<li><span>Workshops</span></li>" in slides


def test_a_trainers_own_workshop_is_exported_with_its_owners_handout(tmp_path):
    synced_site(tmp_path)
    owner = get_user_model().objects.create_user("ada", password="a long enough password 42")
    own = save_as_own(workshop_source(Workshop.objects.get(slug="morning")), owner)
    files = export_site(plan_for(own.slug, "short"))
    handout = files["site/handout.html"].decode()
    assert "Handout: Containers in a morning (Short version)" in handout
    assert "pattern-1" not in files and "site/patterns/pattern-1.html" not in files  # the cut's extra
    assert {"site/patterns/pattern-0.html", "site/patterns/pattern-2.html"} <= set(files)


def test_a_page_that_loads_from_another_site_is_refused_not_exported():
    context = PageContext("/x/", "x.html", "localhost", locate=lambda url: None, nav=lambda path: "")
    with pytest.raises(OfflinePageError, match=r"loads https://cdn\.example/x\.css from another site"):
        offline_page('<link rel="stylesheet" href="https://cdn.example/x.css">', context)


def note_failure(failed: list, request) -> None:
    """A request that failed; one the browser cancelled itself (the favicon of a page it was leaving, say)
    fails with ERR_ABORTED, and counts only when its file is missing (file:// says ERR_FILE_NOT_FOUND)."""
    if request.failure == "net::ERR_ABORTED" and Path(unquote(urlsplit(request.url).path)).is_file():
        return
    failed.append((request.url, request.failure))
