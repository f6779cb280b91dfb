"""The real pages in headless Chromium: filtering in place, copy buttons, search, keyboard, screenshots.

Playwright's sync API runs an event loop in this thread, inside which Django refuses ORM calls;
so each test reads what it needs from the database first, then starts the browser.
"""

from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser_site import DESKTOP, PHONE, Site, chromium, load_real_site

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).parent / "screenshots"
WORKSHOP = "dockerfiles-that-behave"  # a curated workshop (workshops/)


@pytest.fixture
def site(live_server, transactional_db) -> Site:
    """The live server with the real patterns/ tree and the curated workshops loaded."""
    return load_real_site(live_server.url)


def visible_tiles(page) -> list[str]:
    return page.eval_on_selector_all(
        "#periodic-table .tile", "tiles => tiles.filter(t => !t.hidden).map(t => t.dataset.categories)"
    )


def test_filters_work_in_place_without_a_navigation(site, chromium_path):
    with chromium(chromium_path) as browser:
        page = browser.new_page(viewport=DESKTOP)
        page.goto(site.url + "/")
        assert len(visible_tiles(page)) == site.total
        page.evaluate("window.__sameDocument = true")

        page.click("a[data-filter=category][data-value=runtime]")
        page.wait_for_url("**/?category=runtime")
        shown = visible_tiles(page)
        assert page.evaluate("window.__sameDocument === true"), "the filter reloaded the page"
        assert len(shown) == site.runtime > 0
        assert all("runtime" in categories.split() for categories in shown)
        assert page.get_attribute("a[data-filter=category][data-value=runtime]", "aria-current") == "true"
        assert page.get_attribute("a[data-filter=category][data-value='']", "aria-current") is None
        assert (
            page.text_content("#table-status").strip() == f"Showing {site.runtime} of {site.total} patterns."
        )

        page.click("a[data-filter=kind][data-value=platform]")
        page.wait_for_url("**/?category=runtime&kind=platform")
        if not visible_tiles(page):
            assert page.is_visible("#table-empty")

        page.click("a[data-filter=category][data-value='']")
        page.click("a[data-filter=kind][data-value='']")
        page.wait_for_url(site.url + "/")
        assert len(visible_tiles(page)) == site.total
        assert page.evaluate("window.__sameDocument === true")


def test_filter_links_work_without_javascript(site, chromium_path):
    with chromium(chromium_path) as browser:
        page = browser.new_page(viewport=DESKTOP, java_script_enabled=False)
        page.goto(site.url + "/")
        page.click("a[data-filter=category][data-value=runtime]")
        page.wait_for_url("**/?category=runtime")
        assert len(visible_tiles(page)) == site.runtime
        assert page.locator(".tile:visible").count() == site.runtime


def test_keyboard_reaches_a_tile_and_opens_it(site, chromium_path):
    with chromium(chromium_path) as browser:
        page = browser.new_page(viewport=DESKTOP)
        page.goto(site.url + "/")
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.className") == "skip-link"
        for _ in range(60):
            page.keyboard.press("Tab")
            if page.evaluate("document.activeElement.classList.contains('tile__link')"):
                break
        else:
            pytest.fail("Tab never reached a tile")
        outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
        assert outline != "none", "a focused tile must show where the focus is"
        target = page.evaluate("document.activeElement.getAttribute('href')")
        page.keyboard.press("Enter")
        page.wait_for_url(site.url + target)
        assert page.locator("h1").is_visible()


def test_copy_button_puts_the_file_on_the_clipboard(site, chromium_path):
    with chromium(chromium_path) as browser:
        context = browser.new_context(viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"])
        page = context.new_page()
        page.goto(site.pattern_url)
        button = page.locator(".file .copy-button").first
        label = button.locator(".copy-button__label")
        expect(button).to_be_visible()
        button.click()
        expect(label).to_have_text("Copied", timeout=1500)
        assert label.get_attribute("aria-live") == "polite"
        assert page.evaluate("navigator.clipboard.readText()") == site.file_content
        expect(label).to_have_text("Copy", timeout=4000)  # the confirmation lasts about 2 s

        commands = page.locator(".command .copy-button")
        if commands.count():
            commands.first.click()
            expect(commands.first.locator(".copy-button__label")).to_have_text("Copied")
            expected = page.text_content(".command code")
            assert page.evaluate("navigator.clipboard.readText()") == expected
        context.close()


def test_search_and_follow_the_first_result(site, chromium_path):
    with chromium(chromium_path) as browser:
        page = browser.new_page(viewport=DESKTOP)
        page.goto(site.url + "/")
        page.fill("#site-search-q", site.search_term)
        page.press("#site-search-q", "Enter")
        page.wait_for_url("**/search/?q=*")
        assert page.locator(".result").count() >= 1
        first = page.locator(".result__title a").first
        name = first.inner_text()
        first.click()
        page.wait_for_url("**/patterns/*/")
        assert page.locator("h1").inner_text().strip() == name


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", ["desktop", "phone"])
def test_screenshots_of_every_page(site, chromium_path, width, scheme):
    """Not a visual diff: the pages load without errors and the pictures are kept for people to look at."""
    SCREENSHOTS.mkdir(exist_ok=True)
    pages = {
        "home": "/",
        "pattern": site.pattern_url.removeprefix(site.url),
        "search": f"/search/?q={site.search_term}",
        "relations": "/relations/",
        "workshops": "/workshops/",
        "workshop": f"/workshops/{WORKSHOP}/",
        "slides": f"/workshops/{WORKSHOP}/slides/",
        "handout": f"/workshops/{WORKSHOP}/handout/",
        "404": "/patterns/no-such-pattern/",
    }
    with chromium(chromium_path) as browser:
        context = browser.new_context(viewport=DESKTOP if width == "desktop" else PHONE, color_scheme=scheme)
        page = context.new_page()
        errors = []
        page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
        page.on("pageerror", lambda error: errors.append(str(error)))
        for name, path in pages.items():
            response = page.goto(site.url + path)
            assert response.status == (404 if name == "404" else 200), path
            page.screenshot(path=SCREENSHOTS / f"{name}-{width}-{scheme}.png", full_page=True)
            overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at {width} width"
        # A 404 response is reported as a console error by Chromium; anything else is ours (CSP, JS).
        assert [error for error in errors if "404" not in error] == []
        context.close()
