"""The workshop page's offline kit: a trainer's button queues one build, the worker builds it on the real
engine with progress, and anyone downloads the archive; out-of-date, failed and unknown kits say so."""

from __future__ import annotations

import hashlib
import html
import io
import json
import re
import tarfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test import Client
from playwright.sync_api import expect, sync_playwright

from catalog.content.importer import sync_patterns
from catalog.kits.builds import claim, kit_offer, request_build, say_progress
from catalog.kits.status import BUILD_LOST_AFTER, read_status, utc_now, write_status
from tests.verification_pages import drain_queue
from tests.worker_process import WorkerProcess
from tests.workshop_files import BUSYBOX, synced_site
from worker.kit_tasks import build_workshop_kit

pytestmark = pytest.mark.django_db

NAME = "morning--short"  # the kit of the workshop's cut "short": two examples on busybox
KIT_PAGE = "/workshops/morning/kit/?cut=short"
DOWNLOAD = "/workshops/morning/kit/download?cut=short"
PASSWORD = "a long passphrase of words"
BUILD_FORM = '<form class="kit-offer__build" method="post"'


@pytest.fixture
def site(tmp_path, settings):
    settings.VAR_DIR = tmp_path / "var"  # var/kits of this test alone
    tree, _ = synced_site(tmp_path)
    return tree


@pytest.fixture
def kits(settings) -> Path:
    return settings.VAR_DIR / "kits"


def trainer_browser() -> Client:
    """A browser that sends CSRF tokens the way a real one does, logged in as a trainer."""
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(User.objects.create_user("ada", password=PASSWORD))
    return browser


def press_build(browser: Client, page: str = KIT_PAGE):
    """Open the kit page (what the workshop page's button does without JavaScript), then post its form."""
    text = browser.get(page).content.decode()
    assert BUILD_FORM in text, "the kit page offers no build"
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', text)
    return browser.post(page.split("?")[0], {"csrfmiddlewaretoken": token.group(1), "cut": "short"})


def drain_default_queue() -> list[tuple[str, list]]:
    """Every message on Celery's default queue, where kit builds go."""
    return drain_queue("celery")


def build_as_asked(browser: Client) -> str:
    """Press the button, then run the task the message names, here; returns the page afterwards."""
    assert press_build(browser).status_code == 302
    [(task, args)] = drain_default_queue()
    assert task == "catalog.build_kit"
    assert build_workshop_kit(*args) == f"{NAME}: ready"
    return browser.get(KIT_PAGE).content.decode()


def test_the_button_queues_exactly_one_build(client, site, kits, memory_broker):
    page = client.get("/workshops/morning/?cut=short").content.decode()
    assert "Not built" in page and 'action="/workshops/morning/kit/"' in page
    assert "Build the offline kit" in page and "csrfmiddlewaretoken" not in page  # the page stays cacheable

    browser = trainer_browser()
    first = press_build(browser)
    assert first.status_code == 302 and first["Location"] == KIT_PAGE
    queued = read_status(kits, NAME)
    assert (queued.state, queued.workshop, queued.cut) == ("queued", "morning", "short")
    assert BUILD_FORM not in browser.get(KIT_PAGE).content.decode()  # while queued, no second build ...
    token = browser.get("/csrf-token.json").json()["token"]
    again = browser.post("/workshops/morning/kit/", {"csrfmiddlewaretoken": token, "cut": "short"})
    assert again.status_code == 302  # ... and a post anyway (a second tab) queues nothing
    assert drain_default_queue() == [("catalog.build_kit", [NAME, queued.build])]
    assert read_status(kits, NAME) == queued
    page = browser.get(KIT_PAGE).content.decode()
    assert "already queued: no second one was queued" in page
    assert '<meta http-equiv="refresh" content="3">' in page  # follows the build without JavaScript
    # The workshop page, cached for everyone, shows it queued at once.
    assert "kit-state--queued" in client.get("/workshops/morning/?cut=short").content.decode()


def test_a_visitor_without_an_account_cannot_start_a_build(client, site, kits, memory_broker):
    page = client.get(KIT_PAGE).content.decode()
    assert "only a trainer may start one" in page and 'method="post"' not in page
    browser = Client(enforce_csrf_checks=True)
    token = browser.get("/csrf-token.json").json()["token"]
    response = browser.post("/workshops/morning/kit/", {"csrfmiddlewaretoken": token, "cut": "short"})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/workshops/morning/kit/%3Fcut%3Dshort"
    assert read_status(kits, NAME) is None and drain_default_queue() == []
    assert client.get(DOWNLOAD).status_code == 404  # nothing built, nothing served


@pytest.mark.docker
def test_the_task_builds_on_the_engine_with_progress_then_serves_the_archive(
    client, site, kits, busybox, memory_broker
):
    page = build_as_asked(trainer_browser())
    status = read_status(kits, NAME)
    assert status.state == "ready" and status.error == ""
    assert status.log[0] == f"saving 1 base image(s): {BUSYBOX}" and "computing checksums" in status.log
    assert status.log[-1] == f"built: 2 examples, {status.size_text}, sha256 {status.sha256}"
    archive = kits / "morning--short.tar.gz"
    assert status.archive == archive.name and status.size == archive.stat().st_size
    assert f"Download ({status.size_text}, sha256 {status.sha256[:8]}…)" in page
    assert "computing checksums" in page and 'http-equiv="refresh"' not in page

    response = client.get(DOWNLOAD)  # anyone may download a ready kit
    body = b"".join(response.streaming_content)
    assert body == archive.read_bytes() and hashlib.sha256(body).hexdigest() == status.sha256
    assert response["Content-Length"] == str(status.size)
    assert response["Content-Disposition"] == 'attachment; filename="morning--short.tar.gz"'
    assert json.loads((kits / "morning--short.json").read_text())["sha256"] == status.sha256
    with (  # the base image, saved from the engine
        tarfile.open(fileobj=io.BytesIO(body)) as kit,
        tarfile.open(fileobj=kit.extractfile("morning--short-kit/images.tar")) as images,
    ):
        assert [entry["RepoTags"] for entry in json.load(images.extractfile("manifest.json"))] == [[BUSYBOX]]
    assert "kit-state--ready" in client.get("/workshops/morning/?cut=short").content.decode()
    assert BUILD_FORM not in page  # ready and up to date: nothing to build


@pytest.mark.docker
def test_a_kit_built_before_the_catalog_changed_is_out_of_date_and_never_served_half_made(
    client, site, kits, busybox, memory_broker
):
    browser = trainer_browser()
    build_as_asked(browser)
    built = read_status(kits, NAME)
    dockerfile = site / "pattern-0/examples/hello/Dockerfile"
    dockerfile.write_text(dockerfile.read_text() + "LABEL changed=after-the-kit\n")
    assert sync_patterns(site, site.parent / "workshops").ok

    page = client.get("/workshops/morning/?cut=short").content.decode()
    assert "Out of date" in page and "the catalog has changed since" in page
    assert "Rebuild the offline kit" in page and "Download (" in page  # the old kit is still there to copy
    assert client.get(DOWNLOAD).status_code == 200

    assert press_build(browser).status_code == 302
    [(_, (name, build))] = drain_default_queue()
    assert claim(kits, name, build).state == "building"
    # While it builds, the archive at the kit's path may be replaced at any moment: none is served.
    refused = client.get(DOWNLOAD)
    assert refused.status_code == 404 and "is not ready to download (building)" in refused.content.decode()
    assert "Building" in browser.get(KIT_PAGE).content.decode()
    assert kit_offer(kits, NAME, built.fingerprint).state == "building"


def test_a_failed_build_says_why_and_can_be_tried_again(client, site, kits, memory_broker, monkeypatch):
    browser = trainer_browser()
    assert press_build(browser).status_code == 302
    [(_, args)] = drain_default_queue()
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")  # the worker finds no engine
    assert build_workshop_kit(*args) == f"{NAME}: failed"

    failed = read_status(kits, NAME)
    assert failed.state == "failed" and "the kit's images come from the engine, unreachable" in failed.error
    page = client.get("/workshops/morning/?cut=short").content.decode()
    assert f"The last build failed: {failed.error}." in html.unescape(page)
    assert "Build the offline kit again" in page and client.get(DOWNLOAD).status_code == 404

    assert press_build(browser).status_code == 302  # retried: a new build, queued once
    [(_, (_, build))] = drain_default_queue()
    assert build != failed.build and read_status(kits, NAME).state == "queued"


def test_requests_at_the_same_moment_queue_one_build(tmp_path):
    folder = tmp_path / "kits"
    with ThreadPoolExecutor(max_workers=8) as pool:
        asked = list(pool.map(lambda _: request_build(folder, NAME, "morning", "short", "f" * 64), range(16)))
    assert sum(queued for _, queued in asked) == 1
    assert {offer.status.build for offer, _ in asked} == {read_status(folder, NAME).build}


def test_a_build_whose_worker_was_lost_is_failed_and_may_be_asked_for_again(tmp_path):
    folder, started = tmp_path / "kits", utc_now() - BUILD_LOST_AFTER - timedelta(minutes=1)
    (offer, _), now = request_build(folder, NAME, "morning", "short", "f" * 64, now=started), utc_now()
    assert claim(folder, NAME, offer.status.build).state == "building"  # claimed just now: still running
    write_status(folder, replace(read_status(folder, NAME), since=started.isoformat()))  # claimed long ago
    lost = kit_offer(folder, NAME, "f" * 64, now)
    assert (lost.state, lost.buildable) == ("failed", True) and "its worker was stopped or lost" in lost.error
    again, queued = request_build(folder, NAME, "morning", "short", "f" * 64, now)
    assert queued and again.state == "queued" and again.status.build != offer.status.build
    assert not say_progress(folder, NAME, offer.status.build, "late line from the lost build")


def test_an_unknown_workshop_or_cut_is_a_404_that_says_which(client, site):
    for url, reason in (
        ("/workshops/evening/kit/", "no workshop 'evening'"),
        ("/workshops/morning/kit/?cut=long", "workshop 'morning' has no cut 'long' (its cuts: short)"),
        ("/workshops/morning/kit/download?cut=long", "has no cut 'long'"),
        ("/workshops/evening/kit/download", "no workshop 'evening'"),
    ):
        response = client.get(url)
        assert response.status_code == 404 and reason in html.unescape(response.content.decode()), url
    browser = trainer_browser()
    token = browser.get("/csrf-token.json").json()["token"]
    response = browser.post("/workshops/morning/kit/", {"csrfmiddlewaretoken": token, "cut": "long"})
    assert response.status_code == 404


@pytest.mark.docker
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_kit_the_button_asked_for(client, site, kits, broker, busybox, tmp_path):
    worker = WorkerProcess(tmp_path, CATALOG_VAR_DIR=str(kits.parent))
    try:
        worker.wait_for_log("ready.")
        assert press_build(trainer_browser()).status_code == 302
        deadline = time.monotonic() + 120
        while (status := read_status(kits, NAME)).state in ("queued", "building"):
            assert time.monotonic() < deadline, f"still {status.state}:\n{worker.log()[-4000:]}"
            time.sleep(0.3)
        log = worker.log()
    finally:
        worker.stop()
    assert status.state == "ready", status.error
    assert "catalog.build_kit" in log and f"{NAME}: ready" in log
    assert status.log[0] == f"saving 1 base image(s): {BUSYBOX}"
    body = b"".join(client.get(DOWNLOAD).streaming_content)
    assert hashlib.sha256(body).hexdigest() == status.sha256 and len(body) == status.size


@pytest.mark.django_db(transaction=True)
def test_the_button_in_chromium_posts_at_once_for_a_logged_in_trainer(
    live_server, site, kits, chromium_path, memory_broker
):
    User.objects.create_user("ada", password=PASSWORD)
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
            page.goto(f"{live_server.url}/accounts/login/")
            page.fill("#id_username", "ada")
            page.fill("#id_password", PASSWORD)
            page.press("#id_password", "Enter")
            page.wait_for_url("**/my/workshops/")
            page.goto(f"{live_server.url}/workshops/morning/?cut=short")
            page.get_by_role("button", name="Build the offline kit").click()
            page.wait_for_url(f"**{KIT_PAGE}")  # posted with a fetched token: no confirmation page between
            expect(page.locator(".builder-message")).to_have_text(
                "Queued: a worker builds the kit; this page follows its progress."
            )
            expect(page.locator(".kit-state .status")).to_have_text("Queued")
            assert problems == []
        finally:
            browser.close()
    [(task, (name, build))] = drain_default_queue()
    assert (task, name, build) == ("catalog.build_kit", NAME, read_status(kits, NAME).build)


def test_the_command_and_the_worker_say_the_same_about_a_failure(site, monkeypatch):
    """manage.py workshop_kit goes through the same build as the worker (catalog/kits/building.py)."""
    with pytest.raises(CommandError, match="has no cut 'long' \\(its cuts: short\\)"):
        call_command("workshop_kit", "morning", "--cut", "long")
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")
    with pytest.raises(CommandError, match=r"^the kit's images come from the engine, unreachable"):
        call_command("workshop_kit", "morning", "--cut", "short", verbosity=0)


@pytest.mark.docker
def test_a_kit_the_command_built_is_offered_on_the_page(client, site, kits, busybox, memory_broker):
    browser = trainer_browser()
    assert press_build(browser).status_code == 302  # asked for on the page, never run by a worker
    queued = read_status(kits, NAME)
    out = io.StringIO()
    call_command("workshop_kit", "morning", "--cut", "short", stdout=out, stderr=io.StringIO())
    assert out.getvalue().strip() == str(kits / "morning--short.tar.gz")
    status = read_status(kits, NAME)
    assert status.state == "ready" and status.build != queued.build  # the queued request is superseded
    assert status.log == (f"built by manage.py workshop_kit: {status.size_text}, sha256 {status.sha256}",)
    page = client.get("/workshops/morning/?cut=short").content.decode()
    assert "kit-state--ready" in page and f"sha256 {status.sha256[:8]}…" in page
    body = b"".join(client.get(DOWNLOAD).streaming_content)
    assert hashlib.sha256(body).hexdigest() == status.sha256
    # The worker, given the superseded request at last, builds nothing.
    [(_, args)] = drain_default_queue()
    assert build_workshop_kit(*args).startswith("not claimed")
    # A kit written elsewhere (a USB stick's folder) is not the page's to offer.
    elsewhere = site.parent / "stick"
    call_command("workshop_kit", "morning", "--cut", "short", "--output", elsewhere, stdout=io.StringIO())
    assert read_status(kits, NAME).build == status.build and not list(elsewhere.glob("*.status.json"))
