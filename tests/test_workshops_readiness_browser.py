"""A readiness check in headless Chromium: the workshop page's button opens it (posting with a fetched CSRF
token), and the dashboard shows a machine reported by curl, as check.sh sends it, without a reload.

As in tests/test_browser.py, everything the database must hold is made before Playwright starts:
its sync API runs an event loop in this thread, inside which Django refuses ORM calls.
"""

import json
import shutil
import subprocess

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.test import Client
from playwright.sync_api import expect

from tests.check_reports import CHECK_SH_CURL, report
from tests.conftest import require
from tests.test_browser import DESKTOP, chromium
from tests.workshop_files import synced_site

pytestmark = pytest.mark.browser


@pytest.fixture
def session(live_server, transactional_db, tmp_path) -> str:
    """The session cookie of a logged-in trainer, on a site with the workshop `morning`."""
    synced_site(tmp_path)
    trainer = get_user_model().objects.create_user("ada-trainer", password="a long enough password 42")
    client = Client()
    client.force_login(trainer)
    return client.cookies[settings.SESSION_COOKIE_NAME].value


def test_the_button_opens_a_check_and_the_dashboard_fills_as_curl_reports(
    live_server, session, chromium_path, tmp_path
):
    require("curl", shutil.which("curl") is not None, "curl is not installed: apt-get install curl")
    data = report(nickname="mac-<mini>")
    data["checks"][2].update(
        status="failed", detail="the engine is linux/aarch64, the kit's images are amd64"
    )
    (tmp_path / "report.json").write_text(json.dumps(data))

    with chromium(chromium_path) as browser:
        context = browser.new_context(viewport=DESKTOP)
        context.add_cookies(
            [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
        )
        page = context.new_page()
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.goto(live_server.url + "/workshops/morning/")
        page.get_by_role("button", name="Open a readiness check").click()
        page.wait_for_url("**/my/readiness-checks/*/")  # posted straight away: no confirmation page
        expect(page.locator(".check-totals")).to_have_text("No machine has reported yet.")
        command = page.locator("#check-command").text_content()
        link = command.split("--report ")[1].split(" ")[0]
        assert link.startswith(live_server.url + "/workshops/check/")

        sent = subprocess.run(
            [*CHECK_SH_CURL, "@report.json", link],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert sent.stdout == "received: 2 passed, 1 failed; the trainer sees it now\n", sent.stderr

        row = page.locator("tr.check-row")
        expect(row).to_have_count(1, timeout=15_000)  # the next poll brings it, without a reload
        expect(row).to_have_class("check-row check-row--flagged")
        expect(row.locator("th")).to_have_text("mac-<mini>")  # text, not markup
        expect(page.locator(".check-totals")).to_contain_text("1 machine reported: 0 ready, 1 not ready")
        expect(page.locator("[data-check-updated]")).to_contain_text("updated")
        assert errors == []
