"""The keyboard alone, where axe cannot look: Tab reaches every control of every page family, shows where
the focus is and leaves the page again (no trap); filters, copy buttons, folder trees, "Verify again" and
the presenter's keys work from the keyboard. Chromium on the same rows as tests/test_accessibility.py.
"""

import re

import pytest
from playwright.sync_api import expect

from tests.browser_site import DESKTOP, chromium
from tests.site_pages import PAGES

pytestmark = pytest.mark.browser

# What Tab should stop at: the focusable elements in the tab order that are shown and not disabled.
# A radio group is one stop (its checked button, or its first when none is), so each counts as its group.
TABBABLE = """() => {
  const focusable = "a[href], button, input, select, textarea, summary, [tabindex]";
  const stops = [...document.querySelectorAll(focusable)].filter(element => element.tabIndex >= 0
    && !element.disabled && element.type !== "hidden" && element.checkVisibility({visibilityProperty: true})
    && !element.closest("[inert]"));
  return stops.map((element, index) => {
    element.dataset.keyboardStop = element.type === "radio" ? "radio:" + element.name : String(index);
    const name = (element.getAttribute("aria-label") || element.textContent || element.name || "").trim();
    return [element.dataset.keyboardStop, `<${element.tagName.toLowerCase()}> ${name.slice(0, 40)}`];
  });
}"""
# Where each press of Tab put the focus, noted by the page itself (null: out of the page), and whether it
# showed there: an outline or a shadow on the focused element.
NOTE_FOCUS = """() => {
  window.focusNotes = [];
  document.addEventListener("focusin", event => {
    const element = event.target;
    const style = getComputedStyle(element);
    const outline = style.outlineStyle !== "none" && parseFloat(style.outlineWidth) > 0;
    const name = (element.getAttribute("aria-label") || element.textContent || element.name || "").trim();
    if (!element.dataset.keyboardStop) element.dataset.keyboardStop = "other:" + window.focusNotes.length;
    window.focusNotes.push({
      stop: element.dataset.keyboardStop,
      shown: outline || style.boxShadow !== "none",
      what: `<${element.tagName.toLowerCase()}${element.id ? " id=" + element.id : ""}> ${name.slice(0, 40)}`,
    });
  });
  document.addEventListener("focusout", event => { if (!event.relatedTarget) window.focusNotes.push(null); });
}"""
PRESSES_BETWEEN_LOOKS = 25


@pytest.fixture(scope="module")
def browser(site_pages, chromium_path):
    with chromium(chromium_path) as browser:
        yield browser


@pytest.fixture(scope="module")
def tab_of(browser, site_pages):
    """A tab per role, in a context of its own (its cookies), reused page after page."""
    tabs = {}

    def tab(user: str):
        if user not in tabs:
            context = browser.new_context(viewport=DESKTOP)
            context.add_cookies(site_pages.cookies(user))
            tabs[user] = context.new_page()
        return tabs[user]

    return tab


@pytest.fixture
def context(browser):
    context = browser.new_context(viewport=DESKTOP, permissions=["clipboard-read", "clipboard-write"])
    yield context
    context.close()


def open_page(context, site_pages, name: str):
    """The page family `name` of tests/site_pages.py in a new tab, as its user sees it, in its state."""
    context.add_cookies(site_pages.cookies(PAGES[name].user))
    return go_to(context.new_page(), site_pages, name)


def go_to(page, site_pages, name: str):
    spec = PAGES[name]
    response = page.goto(site_pages.url_of(spec))
    assert response.status == spec.status
    if spec.prepare:
        spec.prepare(page)
    return page


def tab_to(page, selector: str, limit: int = 400) -> None:
    """Press Tab until the focus is on an element matching `selector`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("selector => document.activeElement.matches(selector)", selector):
            return
    pytest.fail(f"Tab never reached {selector} on {page.url}")


def tab_round(page, presses: int) -> tuple[list[str], list[str], bool]:
    """Tab from where the page put the focus, out of the page and round to a control seen already:
    the stops reached, those whose focus did not show, and whether the focus ever left the page."""
    page.evaluate(NOTE_FOCUS)
    for _ in range(0, presses, PRESSES_BETWEEN_LOOKS):
        for _ in range(PRESSES_BETWEEN_LOOKS):
            page.keyboard.press("Tab")
        reached, hidden, left, round_done = read_notes(page.evaluate("window.focusNotes"))
        if round_done:
            break
    return reached, hidden, left


def read_notes(notes: list[dict | None]) -> tuple[list[str], list[str], bool, bool]:
    reached, hidden, left = [], [], False
    for note in notes:
        if note is None:
            left = True
        elif note["stop"] not in reached:
            reached.append(note["stop"])
            if not note["shown"]:
                hidden.append(note["what"])
        elif left:
            return reached, hidden, left, True
    return reached, hidden, left, False


@pytest.mark.parametrize("name", PAGES)
def test_tab_reaches_every_control_shows_the_focus_and_leaves_the_page(tab_of, site_pages, name):
    page = go_to(tab_of(PAGES[name].user), site_pages, name)
    stops = dict(page.evaluate(TABBABLE))
    reached, hidden, left = tab_round(page, 2 * len(stops) + 20)
    assert left, f"{name}: Tab never took the focus out of the page: a keyboard trap"
    unseen = [what for stop, what in stops.items() if stop not in reached]
    assert not unseen, f"{name}: Tab never reached {unseen}"
    assert not hidden, f"{name}: the focus does not show on {hidden}"


def test_the_filters_work_from_the_keyboard(context, site_pages):
    page = open_page(context, site_pages, "home")
    page.evaluate("window.sameDocument = true")
    tab_to(page, "a[data-filter=category][data-value=runtime]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?category=runtime")
    expect(page.locator("a[data-filter=category][data-value=runtime]")).to_have_attribute(
        "aria-current", "true"
    )
    shown = page.eval_on_selector_all("#periodic-table .tile", "tiles => tiles.filter(t => !t.hidden).length")
    assert shown == site_pages.site.runtime
    tab_to(page, "a[data-filter=kind][data-value=platform]")
    page.keyboard.press("Enter")
    page.wait_for_url("**/?category=runtime&kind=platform")
    assert page.evaluate("window.sameDocument === true"), "a filter reloaded the page"


def test_copy_buttons_copy_with_enter_and_with_space(context, site_pages):
    page = context.new_page()
    page.goto(site_pages.site.pattern_url)
    tab_to(page, ".file .copy-button")
    label = page.locator(".file .copy-button .copy-button__label").first
    page.keyboard.press("Enter")
    expect(label).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == site_pages.site.file_content
    page.evaluate("navigator.clipboard.writeText('')")
    expect(label).to_have_text("Copy", timeout=4000)
    page.keyboard.press("Space")
    expect(label).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == site_pages.site.file_content


def test_a_layers_folder_tree_opens_and_closes_from_the_keyboard(context, site_pages):
    page = open_page(context, site_pages, "pattern-verified")
    tab_to(page, "details.history > summary:has(+ .layer-list)")
    page.keyboard.press("Enter")  # opens the <details>
    files = page.locator("a.layer-list__files").first
    expect(files).to_be_visible()
    tab_to(page, "a.layer-list__files")
    page.keyboard.press("Enter")
    expect(files).to_have_attribute("aria-expanded", "true")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.matches('a.file-tree__folder')"), "Tab goes into the tree"
    folder = page.locator("a.file-tree__folder:focus")
    page.keyboard.press("Enter")
    expect(folder).to_have_attribute("aria-expanded", "true")
    expect(folder.locator("xpath=following-sibling::*[@data-tree]")).to_have_count(1)
    page.keyboard.press("Enter")
    expect(folder).to_have_attribute("aria-expanded", "false")
    assert page.url == site_pages.url_of(PAGES["pattern-verified"]), "opened in place, without a navigation"


def test_verify_again_is_pressed_from_the_keyboard(context, site_pages):
    """On the example that is running now, so pressing joins its run: nothing is queued."""
    page = open_page(context, site_pages, "pattern-running")
    tab_to(page, "form.verify-again button")
    page.keyboard.press("Space")
    page.wait_for_url(re.compile(r"\?joined="))
    expect(page.locator(".verification__notice")).to_contain_text("your request joined that run")


def test_the_presenters_keys_and_buttons_turn_one_slide_at_a_time(context, site_pages):
    page = open_page(context, site_pages, "presenter")
    deck = page.locator("#deck")
    expect(deck).to_have_attribute("data-current", "1")
    page.keyboard.press("ArrowRight")
    expect(deck).to_have_attribute("data-current", "2")
    tab_to(page, "[data-deck-action=next]")
    page.keyboard.press("Enter")  # presses the button; the key does not also turn the slide
    expect(deck).to_have_attribute("data-current", "3")
    page.keyboard.press("Space")
    expect(deck).to_have_attribute("data-current", "4")
    page.keyboard.press("ArrowLeft")
    expect(deck).to_have_attribute("data-current", "3")
    page.keyboard.press("End")
    expect(deck).not_to_have_attribute("data-current", "3")
    page.keyboard.press("Home")
    expect(deck).to_have_attribute("data-current", "1")
