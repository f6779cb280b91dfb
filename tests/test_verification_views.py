"""The verification UI through the test client: the panel in every state, the live log, "Verify again"
with CSRF and its rate limit, the badge, /status/, the API, escaping and query counts.

Results are built from the worker's own dataclasses (ScenarioResult...to_dict()), as the
worker stores them; nothing here calls Docker except /status/, which asks the real engine.
"""

import re
import threading
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from playwright.sync_api import expect, sync_playwright

from catalog import celery_app, page_cache
from catalog.content.importer import sync_patterns
from catalog.models import Example, ServiceBeat, Verification
from tests import factories
from worker.results import (
    BuildResult,
    BuildStepResult,
    Check,
    HistoryRow,
    ImageFacts,
    ScenarioResult,
    StepReport,
)

pytestmark = pytest.mark.django_db

HOSTILE = "</pre><script>alert(1)</script>"
ENGINE = {"version": "20.10.24", "api_version": "1.41", "arch": "x86_64", "os": "linux"}
STAND_IN = {
    "ref": "busybox:1.35",
    "id": "sha256:" + "cf" * 32,
    "source": "stand-in",
    "recipe": "busybox-static",
    "digests": [],
}
PULLED = {
    "ref": "debian:bookworm-slim",
    "id": "sha256:" + "5c" * 32,
    "source": "pulled",
    "recipe": "",
    "digests": ["debian@sha256:" + "9d" * 32],
}


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """A private page cache (and rate-limit store) per test."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture
def example(tmp_path) -> Example:
    factories.write_tree(tmp_path, count=2)
    assert sync_patterns(tmp_path).ok
    return Example.objects.get(pattern__slug="pattern-0", slug="hello")


@pytest.fixture
def memory_broker(monkeypatch):
    """Celery publishes for real, into kombu's in-memory broker, so the test reads the messages back."""
    conf = celery_app.conf
    saved = {key: conf[key] for key in ("broker_url", "task_always_eager")}
    conf.update(broker_url="memory://", task_always_eager=False)
    # Forget connections made for another broker earlier in this process.
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)
    drain_verify_queue()
    try:
        yield
    finally:
        drain_verify_queue()
        conf.update(saved)


def drain_verify_queue() -> list[tuple[str, list]]:
    """Take every message off the `verify` queue: (task name, args) each."""
    found = []
    with celery_app.connection_for_write() as conn:
        queue = conn.SimpleQueue("verify")
        while queue.qsize():
            message = queue.get(timeout=1)
            found.append((message.headers.get("task"), message.payload[0]))
            message.ack()
        queue.close()
    return found


# --- results as the worker records them ---


def image_facts(name: str = "app", instruction: str = "COPY hello.sh /hello.sh") -> ImageFacts:
    history = (
        HistoryRow(
            "/bin/sh -c #(nop) ADD file:0b1 in / ", "ADD file:0b1 in /", 1_990_000, 1_700_000_000, base=True
        ),
        HistoryRow('/bin/sh -c #(nop)  CMD ["sh"]', 'CMD ["sh"]', 0, 1_700_000_001, base=True),
        HistoryRow(f"/bin/sh -c #(nop) {instruction}", instruction, 396, 1_700_000_500),
        HistoryRow(
            '/bin/sh -c #(nop)  ENTRYPOINT ["/hello.sh"]', 'ENTRYPOINT ["/hello.sh"]', 0, 1_700_000_501
        ),
    )
    return ImageFacts(
        name=name,
        id="sha256:" + "ab" * 32,
        tag=f"catalog-test/{name}",
        size=1_990_396,
        layers=2,
        history=history,
        base_ref="busybox:1.35",
        base_id=STAND_IN["id"],
        base_size=1_990_000,
        own_size=396,
        base_matched=True,
        user="65534",
    )


def build(ok: bool = True) -> BuildResult:
    steps = (
        BuildStepResult(1, "FROM busybox:1.35", False),
        BuildStepResult(2, "COPY hello.sh /hello.sh", True),
        BuildStepResult(3, "RUN test -f /missing", False),
    )
    return BuildResult(
        image_name="app",
        image_id="sha256:" + "ab" * 32 if ok else "",
        ok=ok,
        steps=steps if not ok else steps[:2],
        log="Step 1/3 : FROM busybox:1.35\n",
        error="" if ok else "The command '/bin/sh -c test -f /missing' returned a non-zero code: 1",
        exit_code=None if ok else 1,
        duration=0.8,
        reason="" if ok else "BUILD_FAILED",
        failed_instruction="" if ok else "RUN test -f /missing",
    )


def passed_result(
    checks: tuple[Check, ...] | None = None, instruction: str = "COPY hello.sh /hello.sh"
) -> dict:
    checks = checks or (
        Check(0, "run", "exit_code", "= 0", "0", True),
        Check(
            0, "run", "output_contains", 'contains "hello"', 'found in line "hello from the example"', True
        ),
        Check(1, "image", "size_max", "<= 3 MB", "1.99 MB", True),
    )
    outcome = "passed" if all(check.passed for check in checks) else "failed"
    result = ScenarioResult(
        outcome=outcome,
        failure_reason="" if outcome == "passed" else "CHECK_FAILED",
        detail="all 3 checks passed",
        checks=checks,
        builds=(build(),),
        images={"app": image_facts(instruction=instruction)},
        steps=(
            StepReport(0, "run", "run app", "passed", 0.4, output="hello from the example\n"),
            StepReport(
                1, "image", "image app", "passed" if outcome == "passed" else "failed", 0.1, output="1.99 MB"
            ),
        ),
        log="engine 20.10.24 (API 1.41, linux/x86_64), trust curated\n",
        duration=4.2,
        engine=ENGINE,
    ).to_dict()
    result["environment"] = environment()
    return result


def build_failed_result() -> dict:
    result = ScenarioResult(
        outcome="failed",
        failure_reason="BUILD_FAILED",
        detail="step 1 (build app): RUN test -f /missing returned 1",
        builds=(build(ok=False),),
        steps=(
            StepReport(0, "run", "run app", "error", 0.9, detail="the build failed"),
            StepReport(1, "image", "image app", "not run"),
        ),
        log="ERROR: The command returned a non-zero code: 1\n",
        duration=1.1,
        engine=ENGINE,
    ).to_dict()
    result["environment"] = environment()
    return result


def environment() -> dict:
    return {
        "engine_version": "20.10.24",
        "api_version": "1.41",
        "os": "linux",
        "arch": "x86_64",
        "runner_version": "1",
        "bases": [STAND_IN, PULLED],
    }


def finished(
    example: Example, state: str, result: dict | None, minutes_ago: float = 3, **fields
) -> Verification:
    now = timezone.now()
    values = {
        "example_hash": example.content_hash,
        "state": state,
        "attempt": 1,
        "queued_at": now - timedelta(minutes=minutes_ago, seconds=10),
        "started_at": now - timedelta(minutes=minutes_ago, seconds=5),
        "finished_at": now - timedelta(minutes=minutes_ago),
        "duration": (result or {}).get("duration"),
        "result": result,
        "log": (result or {}).get("log", ""),
        "failure_reason": (result or {}).get("failure_reason", ""),
        "detail": (result or {}).get("detail", ""),
    }
    values.update(fields)
    return Verification.objects.create(example=example, **values)


def running(example: Example, log: str = "") -> tuple[Verification, int]:
    verification = Verification.objects.create(example=example, example_hash=example.content_hash)
    attempt = Verification.claim(verification.pk, "test-worker")
    assert Verification.mark_running(verification.pk, attempt)
    if log:
        assert Verification.append_log(verification.pk, attempt, log)
    verification.refresh_from_db()
    return verification, attempt


# --- reading pages ---


class Section(HTMLParser):
    """The HTML inside the element with a given id, and every start tag on the page."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self, wanted: str):
        super().__init__(convert_charrefs=False)
        self.wanted, self.depth, self.parts = wanted, 0, []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if self.depth:
            self.parts.append(self.get_starttag_text())
            if tag not in self.VOID:
                self.depth += 1
        elif attributes.get("id") == self.wanted:
            self.depth = 1

    def handle_startendtag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if self.depth:
            self.parts.append(self.get_starttag_text())

    def handle_endtag(self, tag):
        if self.depth and tag not in self.VOID:
            self.depth -= 1
            if self.depth:
                self.parts.append(f"</{tag}>")

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)

    def handle_entityref(self, name):
        if self.depth:
            self.parts.append(f"&{name};")

    def handle_charref(self, name):
        if self.depth:
            self.parts.append(f"&#{name};")


def panel_html(client, example: Example, query: str = "") -> str:
    response = client.get(f"/patterns/{example.pattern.slug}/{query}")
    assert response.status_code == 200
    parser = Section(f"verification-{example.slug}")
    parser.feed(response.content.decode())
    assert parser.parts, "the verification panel is missing"
    return "".join(parser.parts)


def text_of(html: str) -> str:
    """The words, one space apart (no-break spaces too), without markup."""
    text = " ".join(re.sub(r"<[^>]+>", " ", html).split())
    return re.sub(r" ([.,:;])", r"\1", text)


# --- the panel in each state ---


def test_never_run_says_so_and_offers_to_verify(client, example):
    html = panel_html(client, example)
    assert "status--none" in html
    assert "Not verified yet: no verification has run for this example." in text_of(html)
    assert 'action="/patterns/pattern-0/examples/hello/verify"' in html
    assert 'method="get"' in html and "data-verify-again" in html
    assert "Verify now" in html


def test_queued_run_is_followed_live(client, example):
    verification = Verification.objects.create(example=example, example_hash=example.content_hash)
    html = panel_html(client, example)
    assert "status--queued" in html
    assert f'data-live-url="/verifications/{verification.pk}.json"' in html
    assert "Queued just now" in text_of(html)
    assert "reload the page to see the progress" in text_of(html)  # what a reader without JS sees
    assert "Not verified yet" not in html


def test_running_run_shows_its_log_and_the_live_json_sends_only_new_text(client, example):
    verification, attempt = running(example, "step 1/2: run app\n")
    html = panel_html(client, example)
    assert "status--running" in html
    assert 'data-log-offset="18"' in html and f'data-attempt="{attempt}"' in html
    assert "step 1/2: run app" in html
    assert re.search(r"<details class=\"log\">", html)  # collapsed: no `open`

    url = f"/verifications/{verification.pk}.json"
    first = client.get(url, {"offset": 0})
    assert first["Content-Type"] == "application/json"
    assert "X-Page-Cache" not in first and "no-cache" in first["Cache-Control"]
    data = first.json()
    assert (data["state"], data["attempt"], data["finished"]) == ("running", attempt, False)
    assert (data["text"], data["offset"]) == ("step 1/2: run app\n", 18)

    Verification.append_log(verification.pk, attempt, "  ok  exit_code: expected = 0, observed 0\n")
    data = client.get(url, {"offset": 18, "attempt": attempt}).json()
    assert data["text"] == "  ok  exit_code: expected = 0, observed 0\n"
    assert data["reset"] is False and data["offset"] == 18 + len(data["text"])
    assert client.get(url, {"offset": data["offset"], "attempt": attempt}).json()["text"] == ""

    # A client whose offset is not ours (a new attempt cleared the log) starts over.
    stale = client.get(url, {"offset": 18, "attempt": attempt + 1}).json()
    assert stale["reset"] is True and stale["text"].startswith("step 1/2")
    assert client.get(url, {"offset": 9999}).json()["reset"] is True

    assert Verification.finish(verification.pk, attempt, state="passed", result=passed_result(), duration=4.2)
    assert client.get(url, {"offset": data["offset"]}).json()["finished"] is True
    assert client.get("/verifications/999999.json").status_code == 404


def test_passed_run_shows_summary_checks_sizes_history_and_chart(client, example):
    finished(example, "passed", passed_result())
    html = panel_html(client, example)
    text = text_of(html)
    assert "status--passed" in html
    assert "Passed 3 of 3 checks in 4.2 s on Docker 20.10.24, x86_64, 3 minutes ago." in text
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT[^"]+" [^>]*data-ago>3\xa0minutes ago</time>', html)
    # Base images: which stand-in, which pulled digest.
    assert "busybox:1.35 stand-in built offline from the busybox-static recipe" in text
    assert "debian:bookworm-slim pulled sha256:9d9d9d9d9d9d" in text
    # Checks with both values, and a word beside each icon.
    assert "3 of 3 passed" in text
    assert (
        "output_contains contains &quot;hello&quot; found in line &quot;hello from the example&quot; Passed"
        in text
    )
    assert "1 run app" in text and "2 image app" in text
    # The image: sizes, base versus own bytes, layer count, history rows oldest first, chart.
    assert "Image app 1.99 MB" in text
    assert "Added by the Dockerfile 396 B" in text and "From the base busybox:1.35 1.99 MB" in text
    assert "Layers 2" in text
    rows = re.findall(r"<tr(?: class=\"history__row--base\")?>\s*<td><code>([^<]*)</code>", html)
    assert rows == [
        "ADD file:0b1 in /",
        "CMD [&quot;sh&quot;]",
        "COPY hello.sh /hello.sh",
        "ENTRYPOINT [&quot;/hello.sh&quot;]",
    ]
    assert html.count('class="history__row--base"') == 2
    assert '<svg xmlns="http://www.w3.org/2000/svg" class="chart"' in html
    assert html.count("chart__bar chart__bar--base") == 2  # the legend swatch and one base layer
    assert html.count("chart__bar chart__bar--own") == 2
    assert "Verify again" in html


def test_failed_check_shows_the_reason_and_what_was_observed(client, example):
    checks = (
        Check(0, "run", "exit_code", "= 0", "0", True),
        Check(1, "image", "size_max", "<= 1 MB", "1.99 MB", False, detail="too big"),
    )
    result = passed_result(checks=checks)
    result["detail"] = "1 of 2 checks failed; first: step 2 size_max: expected <= 1 MB, observed 1.99 MB"
    finished(example, "failed", result)
    text = text_of(panel_html(client, example))
    assert "Failed 1 of 2 checks in 4.2 s" in text
    assert "A check failed. 1 of 2 checks failed; first: step 2 size_max" in text
    assert "size_max too big &lt;= 1 MB 1.99 MB Failed" in text
    assert "What step 2 (image app) printed" in text


def test_build_failure_shows_the_failing_instruction_and_the_error_line(client, example):
    finished(example, "failed", build_failed_result())
    html = panel_html(client, example)
    text = text_of(html)
    assert "status--failed" in html
    assert "Failed: The build failed in 1.1 s" in text
    assert "Building image app failed at this instruction (exit code 1):" in text
    assert '<pre class="failure__line"><code>RUN test -f /missing</code></pre>' in html
    assert "returned a non-zero code: 1" in html
    assert "1 later step did not run: image app." in text


def test_error_is_not_blamed_on_the_example(client, example):
    finished(
        example,
        "error",
        None,
        failure_reason="INFRA",
        detail="the worker stopped answering; its lease expired",
    )
    html = panel_html(client, example)
    assert "status--error" in html
    assert "Error: Infrastructure error" in text_of(html)
    assert "This is a fault of the machinery, not of the example." in text_of(html)


def test_a_new_run_keeps_the_last_result_in_view(client, example):
    finished(example, "passed", passed_result())
    Verification.objects.create(example=example, example_hash=example.content_hash)
    text = text_of(panel_html(client, example))
    assert "Queued" in text and "Last finished run" in text and "Passed 3 of 3 checks" in text


def test_host_access_examples_are_marked_and_not_offered_when_not_allowed(client, tmp_path, settings):
    settings.VERIFY_ALLOW_HOST_ACCESS = False
    factories.write_bases(tmp_path)
    factories.write_pattern(
        tmp_path, "socket-user", symbol="Su", example=factories.scenario(host_access=["docker-socket"])
    )
    assert sync_patterns(tmp_path).ok
    example = Example.objects.get(pattern__slug="socket-user")
    html = panel_html(client, example)
    assert "Not run on this site." in text_of(html) and "VERIFY_ALLOW_HOST_ACCESS" in html
    assert "data-verify-again" not in html
    response = client.post("/patterns/socket-user/examples/hello/verify")
    assert response.status_code == 409 and not Verification.objects.exists()
    # A refusal recorded by the worker is "not run here", not a failure of the example.
    finished(example, "failed", None, failure_reason="HOST_ACCESS_DISABLED", detail="needs host access")
    cache.clear()
    html = panel_html(client, example)
    assert "status--skipped" in html and "status--failed" not in html
    assert client.get("/").content.decode().count("tile-mark tile-mark--failed") == 1  # the legend's


# --- Verify again ---


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


# --- badge, tiles, status page, API ---


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


def test_status_page_shows_workers_engine_queue_and_reaper(client, example, docker_client):
    now = timezone.now()
    ServiceBeat.objects.create(
        name="host-a:42", role="worker", seen_at=now - timedelta(seconds=20), info={"queues": "verify"}
    )
    ServiceBeat.objects.create(name="host-b:7", role="worker", seen_at=now - timedelta(minutes=9))
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
    assert f"Docker {docker_client.version()['Version']}" in text and "Answers" in text
    assert "1 seen in the last 2 minutes" in text
    assert "host-a:42 just now" in text and "Alive" in text
    assert "host-b:7 9 minutes ago" in text and "Stale" in text
    assert "queues verify" in text
    assert "1 queued" in text and "1 building or running now" in text
    assert "Last pass 1 minute ago" in text and "requeued 2" in text and "removed 5" in text
    assert text.count("Pattern number") >= 3  # recent verifications
    assert "4.2 s" in text


def test_status_page_says_when_the_engine_does_not_answer(client, monkeypatch, tmp_path):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")  # nothing listens there
    text = text_of(client.get("/status/").content.decode())
    assert "Does not answer" in text and "the Docker engine is unreachable" in text
    assert "No worker has reported in yet." in text and "No pass yet" in text
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


# --- escaping and the CSP ---


def test_hostile_log_and_check_values_are_escaped(client, example):
    checks = (Check(0, "run", HOSTILE, HOSTILE, HOSTILE, False, detail=HOSTILE),)
    result = passed_result(checks=checks, instruction=f"RUN echo '{HOSTILE}'")
    result["detail"] = HOSTILE
    finished(example, "failed", result, log=f"build output\n{HOSTILE}\n")
    response = client.get("/patterns/pattern-0/")
    html = response.content.decode()
    assert "<script>alert(1)" not in html and "</pre><script>" not in html
    assert html.count("&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;") >= 6
    parser = Section("verification-hello")
    parser.feed(html)
    for tag, attributes in parser.tags:
        assert "style" not in attributes, (tag, attributes)
        assert not any(name.startswith("on") for name in attributes), (tag, attributes)
        if tag == "script":
            assert attributes.get("src", "").startswith("/static/js/"), attributes
    assert "script-src 'self'" in response["Content-Security-Policy"]


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
