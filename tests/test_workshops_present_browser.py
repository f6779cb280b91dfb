"""The slides in headless Chromium: keys move the deck and its #N, a reload keeps it, P opens the presenter
view; a follower's page moves when the presenter's does, can look back, and jumps back to live.

As in tests/test_browser.py, everything the database must hold is made before Playwright starts:
its sync API runs an event loop in this thread, inside which Django refuses ORM calls.
"""

import re
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect

from catalog.content.importer import sync_patterns
from catalog.models import Example, Workshop
from catalog.workshops.deck import load_deck
from catalog.workshops.presentations import Presentation
from tests.test_browser import DESKTOP, chromium
from tests.verification_results import finished, passed_result
from tests.workshop_files import write_site

pytestmark = pytest.mark.browser


@dataclass(frozen=True)
class Live:
    url: str
    slides: int
    presenter_url: str
    follow_url: str
    session: str  # the presenter's session cookie


@pytest.fixture
def live(live_server, transactional_db, tmp_path) -> Live:
    tree, folder = write_site(tmp_path)
    assert sync_patterns(tree, folder).ok
    finished(Example.objects.get(pattern__slug="pattern-0"), "passed", passed_result())
    trainer = get_user_model().objects.create_user("trainer", password="a long enough password 42")
    presentation = Presentation.objects.start(Workshop.objects.get(), "", trainer)
    client = Client()
    client.force_login(trainer)
    return Live(
        url=live_server.url,
        slides=len(load_deck("morning").slides),
        presenter_url=live_server.url + presentation.get_absolute_url(),
        follow_url=live_server.url + presentation.follow_url,
        session=client.cookies[settings.SESSION_COOKIE_NAME].value,
    )


def at(page, number: int) -> None:
    """The deck shows slide `number`, and only it."""
    expect(page.locator("#deck")).to_have_attribute("data-current", str(number))
    expect(page.locator(".deck__slides > .slide:visible")).to_have_count(1)
    expect(page.locator(f'.deck__slides > .slide[id="{number}"]')).to_be_visible()


def test_keys_move_the_slides_a_reload_keeps_the_place_p_opens_the_presenter_view_f_full_screen(
    live, chromium_path
):
    with chromium(chromium_path) as browser:
        plain = browser.new_context(viewport=DESKTOP, java_script_enabled=False)
        page = plain.new_page()
        page.goto(live.url + "/workshops/morning/slides/")
        expect(page.locator(".deck__slides > .slide:visible")).to_have_count(live.slides)  # a column
        plain.close()

        page = browser.new_page(viewport=DESKTOP)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(live.url + "/workshops/morning/slides/")
        at(page, 1)
        assert page.evaluate("location.hash") == "#1"
        for key, number in [
            ("ArrowRight", 2),
            ("Space", 3),
            ("PageDown", 4),
            ("ArrowLeft", 3),
            ("PageUp", 2),
        ]:
            page.keyboard.press(key)
            at(page, number)
        page.keyboard.press("End")
        at(page, live.slides)
        page.keyboard.press("Home")
        at(page, 1)
        page.get_by_role("button", name="Next").click()
        page.get_by_role("button", name="Last").click()
        at(page, live.slides)

        page.goto(live.url + "/workshops/morning/slides/#4")  # pattern-0: its notes, then its Dockerfile
        page.reload()
        at(page, 4)
        assert page.evaluate("location.hash") == "#4"

        page.keyboard.press("p")
        presenter = page.locator("[data-presenter]")
        expect(presenter).to_be_visible()
        expect(page.get_by_role("button", name="Presenter view")).to_have_attribute("aria-pressed", "true")
        expect(presenter.locator("[data-presenter-notes]")).to_contain_text("Ask the room.")
        expect(presenter.locator("[data-presenter-next]")).to_contain_text("The Dockerfile")
        expect(presenter.locator("[data-presenter-timer]")).to_have_text(re.compile(r"^\d+:\d\d:\d\d$"))
        expect(presenter.locator("[data-presenter-clock]")).to_have_text(re.compile(r"^\d\d:\d\d$"))
        page.keyboard.press("ArrowRight")
        at(page, 5)
        expect(presenter.locator("[data-presenter-next]")).to_contain_text("Try it yourself")
        page.keyboard.press("p")
        expect(presenter).to_be_hidden()
        full_screen = page.get_by_role("button", name="Full screen")
        page.keyboard.press("f")
        expect(full_screen).to_have_attribute("aria-pressed", "true")
        assert page.evaluate("document.fullscreenElement.id") == "deck"
        page.keyboard.press("f")
        expect(full_screen).to_have_attribute("aria-pressed", "false")
        assert errors == []


def test_a_follower_follows_the_presenter_looks_back_and_returns_to_live(live, chromium_path):
    with chromium(chromium_path) as browser:
        trainer = browser.new_context(viewport=DESKTOP)
        trainer.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": live.session, "url": live.url}])
        presenter = trainer.new_page()
        presenter.goto(live.presenter_url)
        at(presenter, 1)

        follower = browser.new_context(viewport=DESKTOP).new_page()
        follower.goto(live.follow_url)
        status = follower.locator("[data-deck-live]")
        expect(status).to_have_text("Following live")
        expect(follower.get_by_role("button", name="Back to live")).to_have_attribute("aria-disabled", "true")

        presenter.keyboard.press("ArrowRight")
        presenter.keyboard.press("ArrowRight")
        at(presenter, 3)
        at(follower, 3)  # within a poll or two

        follower.keyboard.press("ArrowLeft")
        at(follower, 2)
        expect(status).to_have_text("Looking back: the presenter is on slide 3")
        presenter.get_by_role("button", name="Next").click()
        at(presenter, 4)
        expect(status).to_have_text("Looking back: the presenter is on slide 4")
        at(follower, 2)  # looking back is not interrupted

        follower.get_by_role("button", name="Back to live").click()
        at(follower, 4)
        expect(status).to_have_text("Following live")

        presenter.reload()  # the presenter's place survives a reload, and the room stays with it
        at(presenter, 4)
        position = presenter.request.get(live.follow_url + "position.json")
        assert position.json() == {"slide": 4}
