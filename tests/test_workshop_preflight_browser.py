"""The pre-flight's progress on the workshop page fills in as runs finish, without a reload (Chromium),
and the fragment the page asks for says what a reload would.

As in tests/test_browser.py, Playwright's sync API runs an event loop in this thread, inside which
Django refuses ORM calls: the runs are finished from another thread, as a worker would finish them.
"""

import threading

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect

from catalog.serving import page_cache
from catalog.workshops.lookup import find_workshop
from catalog.workshops.preflight import start_preflight
from tests.test_browser import DESKTOP, chromium
from tests.test_workshop_preflight import record, result_with
from tests.workshop_files import synced_site

PROGRESS = "/workshops/morning/check-now/progress/"


def start(tmp_path):
    synced_site(tmp_path)
    trainer = get_user_model().objects.create_user("ada", password="a long enough password")
    preflight, new = start_preflight(*find_workshop("morning"), trainer)
    assert new == 3
    return trainer, preflight


def finish_one(preflight, pattern: str) -> None:
    run = preflight.runs.select_related("verification").get(verification__example__pattern__slug=pattern)
    record(run.verification, "passed", result_with(2_000_000), 5.0)
    page_cache.bump_generation()  # as the worker does once it has recorded a result


@pytest.mark.django_db
def test_the_fragment_says_what_the_page_says_and_when_it_is_finished(client, tmp_path):
    _, preflight = start(tmp_path)
    running = client.get(PROGRESS)
    assert running.status_code == 200 and running["X-Finished"] == "0"
    assert "Running: 0 of 3 done" in running.content.decode()
    assert "no-cache" in running["Cache-Control"]
    page = client.get("/workshops/morning/").content.decode()
    assert f'data-live-fragment="{PROGRESS}"' in page and "Running: 0 of 3 done" in page
    for pattern in ("pattern-0", "pattern-1", "pattern-2"):
        finish_one(preflight, pattern)
    done = client.get(PROGRESS)
    assert done["X-Finished"] == "1" and "Passed: all 3 examples" in done.content.decode()
    assert "data-live-fragment" not in client.get("/workshops/morning/").content.decode()
    assert client.get("/workshops/nowhere/check-now/progress/").status_code == 404
    assert client.get(PROGRESS + "?cut=nothing").status_code == 404


@pytest.mark.browser
def test_the_page_shows_runs_finishing_without_a_reload(
    live_server, transactional_db, chromium_path, tmp_path
):
    trainer, preflight = start(tmp_path)
    client = Client()
    client.force_login(trainer)
    cookie = client.cookies[settings.SESSION_COOKIE_NAME].value

    def in_another_thread(work):
        failed = []
        thread = threading.Thread(target=lambda: _catching(work, failed))
        thread.start()
        thread.join(30)
        assert not thread.is_alive() and failed == []

    with chromium(chromium_path) as browser:
        context = browser.new_context(viewport=DESKTOP)
        context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}])
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(live_server.url + "/workshops/morning/")
        state = page.locator("#preflight-progress .preflight__state")
        expect(state).to_contain_text("Running: 0 of 3 done")
        in_another_thread(lambda: finish_one(preflight, "pattern-0"))
        expect(state).to_contain_text("Running: 1 of 3 done", timeout=15_000)
        in_another_thread(lambda: [finish_one(preflight, p) for p in ("pattern-1", "pattern-2")])
        expect(state).to_contain_text("Passed: all 3 examples", timeout=15_000)
        expect(page.locator("#preflight-progress")).to_have_attribute("data-finished", "")
        expect(page.locator("#preflight-progress .facts")).to_contain_text("of images built")
        assert errors == []


def _catching(work, failed: list) -> None:
    try:
        work()
    except Exception as error:  # reported by the test's own thread
        failed.append(error)
