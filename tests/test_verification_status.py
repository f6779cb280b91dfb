"""What a run's result feeds besides the panel: the badge, the tile marks, /status/ (which reads
the engine from the workers' beats, never from Docker), the API, and query counts that do not grow
with the catalog or its history."""

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from catalog.content.importer import sync_patterns
from catalog.models import Example, ServiceBeat, Verification
from tests import factories
from tests.verification_pages import text_of
from tests.verification_results import (
    build_failed_result,
    finished,
    passed_result,
    running,
)

pytestmark = pytest.mark.django_db

ENGINE_OK = {
    "ok": True,
    "problem": "",
    "fix": "",
    "missing_bases": [],
    "version": "27.5.1",
    "api_version": "1.47",
    "os": "linux",
    "arch": "amd64",
}


@pytest.fixture
def no_engine(monkeypatch):
    """Docker unreachable from the site: whatever /status/ says of the engine comes from a beat."""
    monkeypatch.setenv("DOCKER_HOST", "unix:///nonexistent/docker.sock")


def test_badge_says_passed_failed_running_or_not_verified(client, example):
    other = Example.objects.get(pattern__slug="pattern-1")
    url = "/patterns/pattern-0/badge.svg"
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert b'aria-label="verified: not verified"' in response.content
    assert client.get(url)["X-Page-Cache"] == "hit"

    finished(example, "passed", passed_result())
    finished(other, "failed", build_failed_result())
    cache.clear()
    assert b"verified: passed" in client.get(url).content
    assert b"verified: failed" in client.get("/patterns/pattern-1/badge.svg").content
    Verification.objects.create(example=example, example_hash=example.content_hash)
    cache.clear()
    assert b"verified: running" in client.get(url).content
    assert client.get("/patterns/nope/badge.svg").status_code == 404


def test_tiles_carry_a_passed_or_failed_mark(client, example):
    finished(example, "failed", build_failed_result(), minutes_ago=10)
    finished(example, "passed", passed_result(), minutes_ago=5)  # the newest result counts
    finished(Example.objects.get(pattern__slug="pattern-1"), "failed", build_failed_result())
    page = client.get("/").content.decode()
    assert page.count("tile-mark tile-mark--passed") == 2  # one tile and the legend
    assert page.count("tile-mark tile-mark--failed") == 2
    assert "Pattern number 0 (pattern; Runtime), examples verified" in page
    assert "Pattern number 1 (pattern; Runtime), an example failed verification" in page


def test_status_page_shows_workers_engine_queue_and_reaper(client, example, no_engine):
    now = timezone.now()
    ServiceBeat.objects.create(
        name="host-a:42",
        role="worker",
        seen_at=now - timedelta(seconds=20),
        info={"queues": "verify", "engine": ENGINE_OK},
    )
    # An older worker that is gone: its report of a dead engine is not the engine's state now.
    ServiceBeat.objects.create(
        name="host-b:7",
        role="worker",
        seen_at=now - timedelta(minutes=9),
        info={"engine": {"ok": False, "problem": "the Docker engine does not answer (gone)", "fix": ""}},
    )
    ServiceBeat.objects.create(
        name="reaper", role="reaper", seen_at=now - timedelta(minutes=1), info={"requeued": 2, "removed": 5}
    )
    finished(example, "passed", passed_result())
    running(Example.objects.get(pattern__slug="pattern-1"))
    Verification.objects.create(example=example, example_hash=example.content_hash)

    response = client.get("/status/")
    assert response.status_code == 200
    assert "X-Page-Cache" not in response and "no-cache" in response["Cache-Control"]
    html = response.content.decode()
    text = text_of(html)
    assert "Answers Docker 27.5.1 (API 1.47, linux/amd64) As host-a:42 saw it just now." in text
    assert 'status-card--ok">\n      <h2 class="status-card__title">Docker engine' in html
    assert "1 seen in the last 2 minutes" in text
    assert "host-a:42 just now" in text and "Alive" in text
    assert "host-b:7 9 minutes ago" in text and "Stale" in text
    assert "queues verify" in text
    assert "1 queued" in text and "1 building or running now" in text
    assert "Last pass 1 minute ago" in text and "requeued 2" in text and "removed 5" in text
    assert text.count("Pattern number") >= 3  # recent verifications
    assert "4.2 s" in text


def test_status_page_says_what_the_newest_live_worker_saw_of_its_engine(client, no_engine):
    text = text_of(client.get("/status/").content.decode())
    assert "Docker engine Not known No worker has reported in the last 2 minutes." in text
    assert "No worker has reported in yet." in text and "No pass yet" in text

    unreachable = "the Docker engine does not answer (the Docker engine is unreachable: refused)"
    ServiceBeat.beat("host-a:42", ServiceBeat.Role.WORKER, engine={"ok": False, "problem": unreachable})
    text = text_of(client.get("/status/").content.decode())
    assert f"Does not answer {unreachable} As host-a:42 saw it just now." in text

    missing = {**ENGINE_OK, "ok": False, "problem": "the base image busybox:1.35 is not on the Docker engine"}
    ServiceBeat.objects.create(
        name="host-c:9", role="worker", seen_at=timezone.now(), info={"engine": missing}
    )
    text = text_of(client.get("/status/").content.decode())
    assert "Not ready Docker 27.5.1 (API 1.47, linux/amd64) the base image busybox:1.35 is not" in text
    assert "As host-c:9 saw it just now." in text

    # runsite's sandbox worker reports the gVisor engine of submissions: never shown as the catalog's.
    sandboxed = {**ENGINE_OK, "ok": False, "problem": "the sandboxed engine's own trouble"}
    ServiceBeat.objects.create(
        name="sandbox@host-c", role="worker", seen_at=timezone.now(), info={"engine": sandboxed}
    )
    text = text_of(client.get("/status/").content.decode())
    assert "As host-c:9 saw it just now." in text and "sandboxed engine's own trouble" not in text

    ServiceBeat.objects.update(seen_at=timezone.now() - timedelta(minutes=30))
    text = text_of(client.get("/status/").content.decode())
    assert "Not known" in text and "Does not answer" not in text and "Not ready" not in text


def test_status_page_says_when_the_reaper_is_late(client):
    ServiceBeat.beat("reaper", ServiceBeat.Role.REAPER, requeued=0)
    ServiceBeat.objects.update(seen_at=timezone.now() - timedelta(minutes=30))
    text = text_of(client.get("/status/").content.decode())
    assert "Last pass 30 minutes ago" in text and "Late: it should pass every 60 s." in text


def test_api_gives_each_examples_latest_verification(client, example):
    finished(example, "failed", build_failed_result(), minutes_ago=10)
    newest = finished(example, "passed", passed_result(), minutes_ago=2)
    data = client.get("/api/patterns/pattern-0.json").json()
    [entry] = data["examples"]
    verification = entry["verification"]
    assert verification["id"] == newest.pk and verification["state"] == "passed"
    assert verification["failure_reason"] == "" and verification["current"] is True
    assert verification["checks"][1] == {
        "step_index": 0,
        "action": "run",
        "name": "output_contains",
        "expected": 'contains "hello"',
        "observed": 'found in line "hello from the example"',
        "passed": True,
        "detail": "",
    }
    image = verification["images"]["app"]
    assert (image["id"], image["size"], image["layers"]) == ("sha256:" + "ab" * 32, 1_990_396, 2)
    assert [row["instruction"] for row in image["history"]][2] == "COPY hello.sh /hello.sh"
    assert image["history"][0]["base"] is True
    assert verification["environment"]["bases"][1]["source"] == "pulled"
    assert verification["log_url"] == f"http://testserver/verifications/{newest.pk}.json"
    assert entry["last_result"]["id"] == newest.pk
    other = client.get("/api/patterns/pattern-1.json").json()["examples"][0]
    assert other["verification"] is None and other["last_result"] is None


# --- query counts ---


def add_verifications(examples: list[Example], live: bool = True) -> None:
    """Several per example: two older results, the newest result, and a live run on some."""
    now, rows = timezone.now(), []
    result = passed_result()
    for position, example in enumerate(examples):
        for age, state in ((30, "failed"), (20, "passed"), (10, "passed" if position % 2 else "failed")):
            moment = now - timedelta(minutes=age)
            rows.append(
                Verification(
                    example=example,
                    example_hash=example.content_hash,
                    state=state,
                    attempt=1,
                    queued_at=moment,
                    started_at=moment,
                    finished_at=moment,
                    duration=4.2,
                    result=result,
                )
            )
        if live and position % 3 == 0:
            rows.append(Verification(example=example, example_hash=example.content_hash, queued_at=now))
    Verification.objects.bulk_create(rows)


def count_queries(client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200 and response["X-Page-Cache"] == "miss"
    return len(queries)


def test_query_counts_do_not_grow_with_the_catalog_or_its_history(client, tmp_path):
    urls = (
        "/",
        "/patterns/pattern-0/",
        "/patterns/pattern-3/",
        "/api/patterns/pattern-0.json",
        "/patterns/pattern-0/badge.svg",
    )
    factories.write_tree(tmp_path, count=5)
    assert sync_patterns(tmp_path).ok
    add_verifications(list(Example.objects.all()))
    small = {url: count_queries(client, url) for url in urls}

    factories.write_tree(tmp_path, count=300)
    assert sync_patterns(tmp_path).created == 295
    add_verifications(list(Example.objects.filter(verifications__isnull=True)))
    add_verifications(list(Example.objects.all()), live=False)  # and a longer history for everyone
    assert Verification.objects.count() > 300 * 6
    large = {url: count_queries(client, url) for url in urls}
    assert large == small
    page = client.get("/").content.decode()
    assert page.count("tile-mark tile-mark--") == 300 + 2  # every tile has a mark, plus the legend's two
