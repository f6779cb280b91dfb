"""The verification panel through the test client: every state of a run, its checks, sizes and
log, host-access marks, and escaping of everything a result holds.

Results are built from the worker's own dataclasses (ScenarioResult...to_dict()), as the
worker stores them; nothing here calls Docker.
"""

import re

import pytest
from django.core.cache import cache

from catalog.content.importer import sync_patterns
from catalog.models import Example, Verification
from tests import factories
from tests.verification_pages import Section, panel_html, text_of
from tests.verification_results import (
    HOSTILE,
    build_failed_result,
    finished,
    passed_result,
    running,
)
from worker.contract.results import (
    Check,
)

pytestmark = pytest.mark.django_db


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
    stand_in = "busybox:1.35 stand-in built offline from the busybox-static recipe Not the published image"
    assert stand_in in text
    assert "It differs in this: Debian's static busybox build" in text.replace("&#x27;", "'")  # bases.yaml's
    assert "debian:bookworm-slim pulled sha256:9d9d9d9d9d9d" in text
    assert text.count("Not the published image") == 1  # the pulled base is the published one
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


def test_a_waiting_run_says_why_and_since_when_never_error(client, example):
    finished(example, "passed", passed_result())
    verification, attempt = running(example)
    cause = "base image busybox:1.35 (image app) is not on this engine"
    Verification.release(verification.pk, attempt, f"Not the example's fault, will retry: {cause}")
    html = panel_html(client, example)
    text = text_of(html)
    assert "status--waiting" in html and "status--error" not in html
    assert "Waiting since just now: this run could not happen for a reason that is not the example's." in text
    assert "It is retried by itself, next at" in text
    assert cause in text
    assert "Last finished run" in text and "Passed 3 of 3 checks" in text  # the last result stays
    log = client.get(f"/verifications/{verification.pk}.json").json()
    assert (log["state"], log["state_label"], log["finished"]) == ("waiting", "Waiting", False)
    assert cause in log["detail"] and log["waiting_since"] and log["retry_at"]


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
