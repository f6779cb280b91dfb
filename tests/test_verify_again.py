""" "Verify again": CSRF through an uncached token, queueing once and joining a live run, the
rate limit, the cached page refreshed; and the live log and the button in a real browser."""

import threading

import pytest
from django.db import connection
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from catalog.content.importer import sync_patterns
from catalog.models import Example, Verification
from catalog.serving import page_cache
from tests import factories
from tests.verification_pages import drain_verify_queue
from tests.verification_results import (
    HOSTILE,
    passed_result,
    running,
)

pytestmark = pytest.mark.django_db


def verify_url(example: Example) -> str:
    return f"/patterns/{example.pattern.slug}/examples/{example.slug}/verify"


def token_for(client: Client) -> str:
    response = client.get("/csrf-token.json")
    assert response.status_code == 200 and "X-Page-Cache" not in response
    return response.json()["token"]


def test_verify_again_needs_csrf_then_queues_once_and_joins(
    example, memory_broker, django_capture_on_commit_callbacks
):
    browser = Client(enforce_csrf_checks=True)
    assert browser.post(verify_url(example)).status_code == 403
    assert not Verification.objects.exists()

    token = token_for(browser)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = browser.post(verify_url(example), {"csrfmiddlewaretoken": token})
        assert drain_verify_queue() == []  # nothing is sent before the commit
    assert response.status_code == 302
    assert response["Location"] == "/patterns/pattern-0/?queued=hello#verification-hello"
    verification = Verification.objects.get()
    assert (verification.state, verification.example_id) == ("queued", example.pk)
    assert len(callbacks) == 2  # the Celery wake-up and the page generation bump
    assert drain_verify_queue() == [("catalog.verify", [verification.pk])]

    with django_capture_on_commit_callbacks(execute=True):
        again = browser.post(verify_url(example), {"csrfmiddlewaretoken": token})
    assert again["Location"] == "/patterns/pattern-0/?joined=hello#verification-hello"
    assert Verification.objects.count() == 1
    assert drain_verify_queue() == []  # joining sends nothing

    page = browser.get(again["Location"].split("#")[0]).content.decode()
    assert "your request joined that run" in page and "status--queued" in page


def test_queuing_refreshes_the_cached_page(
    client, example, memory_broker, django_capture_on_commit_callbacks
):
    assert "Not verified yet" in client.get("/patterns/pattern-0/").content.decode()
    assert client.get("/patterns/pattern-0/")["X-Page-Cache"] == "hit"
    with django_capture_on_commit_callbacks(execute=True):
        client.post(verify_url(example))
    response = client.get("/patterns/pattern-0/")
    assert response["X-Page-Cache"] == "miss"
    assert "status--queued" in response.content.decode()


def test_cached_pages_carry_no_token_and_the_confirmation_page_does(client, example):
    page = client.get("/patterns/pattern-0/")
    assert "csrfmiddlewaretoken" not in page.content.decode() and not page.cookies
    assert client.get("/patterns/pattern-0/")["X-Page-Cache"] == "hit"
    confirm = client.get(verify_url(example))
    assert confirm.status_code == 200 and "X-Page-Cache" not in confirm
    assert (
        'name="csrfmiddlewaretoken"' in confirm.content.decode()
        and 'method="post"' in confirm.content.decode()
    )
    assert client.get(verify_url(example))["Cache-Control"].startswith("max-age=0")


def test_verify_again_is_rate_limited_per_address(example, memory_broker, django_capture_on_commit_callbacks):
    browser = Client()
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(5):
            assert browser.post(verify_url(example)).status_code == 302
        refused = browser.post(verify_url(example))
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    assert "Please wait a little" in refused.content.decode()
    assert Verification.objects.count() == 1
    assert len(drain_verify_queue()) == 1
    # Another address has its own allowance.
    assert Client(REMOTE_ADDR="192.0.2.7").post(verify_url(example)).status_code == 302


# --- in a real browser: the live log and "Verify again" with JavaScript ---


def in_thread(work) -> None:
    """Run ORM work outside Playwright's event loop (Django refuses it there), as the worker would."""
    errors = []

    def run():
        try:
            work()
        except Exception as error:  # pragma: no cover - reported below
            errors.append(error)
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    thread.join(30)
    assert not errors, errors


@pytest.mark.django_db(transaction=True)
def test_live_log_and_verify_again_in_chromium(live_server, settings, tmp_path, chromium_path, memory_broker):
    factories.write_tree(tmp_path, count=2)
    assert sync_patterns(tmp_path).ok
    example = Example.objects.get(pattern__slug="pattern-0")
    verification, attempt = running(example, "step 1/2: run app\n")
    other_pk = Example.objects.get(pattern__slug="pattern-1").pk

    def worker_progress():
        Verification.append_log(verification.pk, attempt, f"step 2/2: {HOSTILE}\n")

    def worker_finish():
        Verification.finish(verification.pk, attempt, state="passed", result=passed_result(), duration=4.2)
        page_cache.bump_generation()  # as worker.tasks does after recording a result

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            problems = []
            page.on(
                "console", lambda message: problems.append(message.text) if message.type == "error" else None
            )
            page.on("pageerror", lambda error: problems.append(str(error)))
            page.goto(f"{live_server.url}/patterns/pattern-0/")
            log = page.locator("#verification-hello [data-live-log-text]")
            expect(log).to_have_text("step 1/2: run app\n")
            expect(page.locator("#verification-hello [data-live-hint]")).to_be_hidden()

            in_thread(worker_progress)
            expect(log).to_have_text(f"step 1/2: run app\nstep 2/2: {HOSTILE}\n", timeout=10_000)
            assert page.locator("#verification-hello script").count() == 0  # appended as text

            in_thread(worker_finish)
            expect(page.locator("#verification-hello .verification__summary")).to_contain_text(
                "Passed 3 of 3 checks", timeout=15_000
            )
            expect(page.locator("#verification-hello .status")).to_have_text("Passed")

            page.goto(f"{live_server.url}/patterns/pattern-1/")
            page.locator("#verification-hello button[type=submit]").click()
            page.wait_for_url("**/patterns/pattern-1/?queued=hello#verification-hello")
            expect(page.locator("#verification-hello .verification__notice")).to_contain_text("Queued.")
            expect(page.locator("#verification-hello .status")).to_have_text("Queued")
            assert problems == []
        finally:
            browser.close()
    assert Verification.objects.get(example_id=other_pk).state == "queued"
    assert [task for task, _ in drain_verify_queue()] == ["catalog.verify"]
