"""The trainer's pre-flight: cold runs (the flag down to the engine), the button and the command, the report.

Results of the runs are recorded through the model's own methods (claim, finish), as the worker does;
one test runs the whole thing with a real worker on the real engine.
"""

import dataclasses
import io
import os
import re
import subprocess
import sys

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.content.importer import sync_patterns
from catalog.models import Example, Verification, Workshop
from catalog.verifications.queueing import request_verification
from catalog.workshops.freeze import freeze_now
from catalog.workshops.lookup import find_workshop
from catalog.workshops.preflight import start_preflight
from catalog.workshops.preflight_models import Preflight
from catalog.workshops.preflight_report import disk_used, latest_report
from tests import factories
from tests.conftest import RUN_ID
from tests.verification_results import finished, image_facts, passed_result, running
from tests.worker_process import ROOT, WorkerProcess, database_url
from tests.workshop_files import example, synced_site, workshop, write_workshop
from worker.contract.analysis import AnalysisSummary, LayerSummary
from worker.contract.codec import to_json
from worker.contract.report import VerificationReport
from worker.contract.results import Check
from worker.images.build_context import context_tar
from worker.images.builder import remove_images
from worker.verification_run import run_attempt

pytestmark = pytest.mark.django_db

URL = "/workshops/morning/"
COLD_DOCKERFILE = (
    'FROM busybox:1.35\nRUN echo "built just now"\nCOPY hello.sh /hello.sh\nENTRYPOINT ["/hello.sh"]\n'
)
CHECK_URL = "/workshops/morning/check-now/"


@pytest.fixture
def site(tmp_path):
    return synced_site(tmp_path)


@pytest.fixture
def trainer(client):
    user = get_user_model().objects.create_user("ada", password="a long enough password")
    client.force_login(user)
    return user


def result_with(size: int, passed: bool = True) -> dict:
    """A passed (or failed) result whose image `app` is `size` bytes and whose exit-code check passed."""
    checks = (
        Check(0, "run", "exit_code", "= 0", "0" if passed else "3", passed),
        Check(1, "image", "size_max", "<= 3 MB", "1.99 MB", True),
    )
    result = passed_result(checks=checks)
    result["images"]["app"]["size"] = size
    result["images"]["app"]["own_size"] = size - result["images"]["app"]["base_size"]
    return result


def record(verification: Verification, state: str, result: dict, duration: float = 4.0) -> None:
    """Finish a queued run as the worker would: claim it, then record its result, fenced on the attempt."""
    attempt = Verification.claim(verification.pk, "test-worker")
    assert attempt is not None
    assert Verification.finish(
        verification.pk,
        attempt,
        state=state,
        reason=result["failure_reason"],
        result=result,
        duration=duration,
    )


# --- cold requests ---


def test_a_cold_request_never_joins_a_warm_run(site, django_capture_on_commit_callbacks):
    hello = example("pattern-0")
    warm, created = request_verification(hello)
    assert created and not warm.cold
    # Not claimed yet: the same row turns cold, and the message already sent wakes it.
    with django_capture_on_commit_callbacks() as sent:
        cold, created = request_verification(hello, cold=True)
    assert (cold.pk, cold.cold, cold.state, created, len(sent)) == (warm.pk, True, "queued", False, 0)
    # A warm request joins a cold run: it is at least as good.
    assert request_verification(hello) == (cold, False)


def test_a_cold_request_restarts_a_warm_run_under_way(site, django_capture_on_commit_callbacks):
    hello = example("pattern-1")
    warm, attempt = running(hello)
    with django_capture_on_commit_callbacks() as sent:
        cold, created = request_verification(hello, cold=True)
    assert (cold.pk, cold.cold, cold.state, created) == (warm.pk, True, "queued", False)
    assert len(sent) == 1  # its wake-up call
    assert "Restarted cold" in cold.detail
    # The warm attempt is fenced out: whatever it would record is refused.
    assert not Verification.heartbeat(warm.pk, attempt)
    assert not Verification.finish(warm.pk, attempt, state="passed")
    assert Verification.claim(warm.pk, "next-worker") == attempt + 1


@pytest.mark.docker
@pytest.mark.django_db(transaction=True)  # the attempt's heartbeat writes from its own thread
def test_a_cold_run_reaches_the_engine_and_rebuilds_every_step(
    tmp_path, docker_client, busybox, labels, settings
):
    factories.write_bases(tmp_path)
    files = {"Dockerfile": COLD_DOCKERFILE, "hello.sh": factories.SCRIPT}
    factories.write_pattern(tmp_path, "cold", symbol="Co", files=files)
    assert sync_patterns(tmp_path).ok
    hello = Example.objects.get()
    # The engine already holds the RUN step, built from the same Dockerfile on the same base.
    warm = context_tar(hello.context_files())
    docker_client.images.build(fileobj=io.BytesIO(warm), custom_context=True, labels=labels, rm=True)
    settings.VERIFY_EXTRA_LABELS = {key: value for key, value in labels.items() if key != "catalog.owner"}
    verification, _ = request_verification(hello, cold=True)
    attempt = Verification.claim(verification.pk, "test-worker")
    assert run_attempt(docker_client, verification.pk, attempt) == "passed"
    verification.refresh_from_db()
    assert "cold: no build of this run takes a layer the engine cached before it" in verification.log
    assert "Using cache" not in verification.log
    assert "built just now" in verification.log  # the RUN step ran
    assert re.search(r"build app: built \w+ in [\d.]+ s, 0/\d+ steps from cache", verification.log)


# --- the button, the report, the page ---


def test_a_trainer_checks_a_curated_workshop_and_sees_its_progress(client, site, trainer):
    response = client.post(CHECK_URL)
    assert response.status_code == 302 and response["Location"] == f"{URL}#preflight"
    preflight = Preflight.objects.get()
    runs = list(preflight.runs.select_related("verification__example__pattern"))
    assert [str(run.verification.example) for run in runs] == [
        "pattern-0/hello",
        "pattern-1/hello",
        "pattern-2/hello",
    ]
    assert all(run.verification.cold and run.verification.state == "queued" for run in runs)
    assert preflight.requested_by == trainer
    record(runs[0].verification, "passed", result_with(2_000_000))
    html = client.get(URL).content.decode()
    assert "Running: 1 of 3 done" in html


def test_a_cut_is_checked_alone(client, site, trainer):
    client.post(CHECK_URL, {"cut": "short"})  # the short cut drops the extra item, pattern-1
    preflight = Preflight.objects.get()
    assert preflight.cut_name == "short"
    assert [run.verification.example.pattern.slug for run in preflight.runs.all()] == [
        "pattern-0",
        "pattern-2",
    ]
    assert client.post(CHECK_URL, {"cut": "nope"}).status_code == 404


def test_who_may_check(client, site):
    response = client.post(CHECK_URL)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    owner = get_user_model().objects.create_user("owner", password="a long enough password")
    own = Workshop.objects.create(
        slug="owners",
        title="Mine",
        summary="s",
        audience="a",
        duration_minutes=60,
        source="trainer",
        owner=owner,
    )
    client.force_login(get_user_model().objects.create_user("other", password="a long enough password"))
    assert (
        client.post(f"/workshops/{own.slug}/check-now/").status_code == 404
    )  # a trainer's own is theirs alone
    confirm = client.get(CHECK_URL)  # without JavaScript: a page that carries the token
    assert confirm.status_code == 200 and "csrfmiddlewaretoken" in confirm.content.decode()
    assert not Preflight.objects.exists()
    client.force_login(owner)
    assert client.post(f"/workshops/{own.slug}/check-now/").status_code == 302
    assert Preflight.objects.get().workshop == own


def finished_preflight(sizes: dict[str, int], failing: str = "") -> Preflight:
    """Every example passed once (its last good run, 2 000 000 bytes), then a pre-flight with these sizes."""
    for pattern in ("pattern-0", "pattern-1", "pattern-2"):
        finished(example(pattern), "passed", result_with(2_000_000), minutes_ago=60 * 24)
    preflight, new = start_preflight(*find_workshop("morning"))
    assert new == 3
    for run in preflight.runs.select_related("verification__example__pattern"):
        pattern = run.verification.example.pattern.slug
        passed = pattern != failing
        record(run.verification, "passed" if passed else "failed", result_with(sizes[pattern], passed), 10.0)
    return preflight


def test_the_report_names_what_differs_from_the_last_good_run(client, site, trainer):
    # pattern-0 grew 20 %, pattern-1 9 %; pattern-2's exit code check now fails.
    preflight = finished_preflight(
        {"pattern-0": 2_400_000, "pattern-1": 2_180_000, "pattern-2": 2_000_000}, "pattern-2"
    )
    report = latest_report(preflight)
    assert report.finished and not report.passed
    by_pattern = {outcome.pattern: outcome for outcome in report.examples}
    assert by_pattern["pattern-0"].differences == ("image app: 2 MB then, 2.4 MB now (+20%)",)
    assert by_pattern["pattern-1"].differences == ()  # 9 % is not named
    assert by_pattern["pattern-2"].differences == (
        "step 1 run, exit_code = 0: passed, now fails (observed 3)",
    )
    assert [item.pattern_slug for item in report.failed_items] == ["pattern-2"]
    assert report.run_seconds == 30.0
    # Each image's own layers, and the busybox base they share once.
    assert report.disk_bytes == 410_000 + 190_000 + 10_000 + 1_990_000
    html = client.get(URL).content.decode()
    assert "Failed: 1 of 3 items" in html
    assert "image app: 2 MB then, 2.4 MB now (+20%)" in html
    assert "2.18 MB now" not in html
    assert "the runs took 30 s added up" in html


# --- the command ---


def test_the_command_queues_a_preflight_and_says_so(site):
    out = io.StringIO()
    call_command("check_workshop", "morning", "--cut", "short", stdout=out)
    preflight = Preflight.objects.get()
    assert (
        out.getvalue()
        == f"pre-flight {preflight.pk} of morning (short): 2 examples, 2 queued cold, 0 joined\n"
    )
    with pytest.raises(CommandError, match="no workshop 'nope'"):
        call_command("check_workshop", "nope")
    with pytest.raises(CommandError, match=r"workshop 'morning' has no cut 'long' \(its cuts: short\)"):
        call_command("check_workshop", "morning", "--cut", "long")


FAILING = 'FROM busybox:1.35\nRUN echo "about to fail" && exit 3\nCMD ["true"]\n'


@pytest.fixture
def worker(tmp_path, broker, docker_client):
    started = WorkerProcess(tmp_path)
    started.wait_for_log("ready.")
    yield started
    started.stop()
    remove_images(docker_client, {"catalog.test-run": RUN_ID})


@pytest.mark.docker
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)  # the worker and the command are processes of their own
def test_the_command_waits_for_a_real_worker_and_fails_on_a_failed_item(tmp_path, worker):
    root = tmp_path / "patterns"
    factories.write_bases(root)
    factories.write_pattern(root, "passes", symbol="Pa", name="It passes")
    factories.write_pattern(root, "fails", symbol="Fa", name="It fails", files={"Dockerfile": FAILING})
    items = [{"pattern": slug, "minutes": 10, "depth": "core"} for slug in ("passes", "fails")]
    write_workshop(
        tmp_path / "workshops", "day", workshop(parts=[{"title": "All", "items": items}], cuts=None)
    )
    assert sync_patterns(root, tmp_path / "workshops").ok
    command = [sys.executable, "manage.py", "check_workshop", "day", "--wait", "--timeout", "240"]
    done = subprocess.run(
        command, cwd=ROOT, env={**os.environ, "DATABASE_URL": database_url()}, capture_output=True, text=True,
        timeout=300,
    )  # fmt: skip
    assert done.returncode == 1, done.stdout + done.stderr + worker.log()[-3000:]
    out = done.stdout
    # The sync queued warm runs of the new examples: one still live was made cold and joined, or none.
    assert re.match(r"pre-flight \d+ of day: 2 examples, [12] queued cold, [01] joined\n", out)
    assert "2 of 2 done" in out
    assert "PASSED   It passes" in out and "FAILED   It fails" in out
    assert "fails/hello failed in" in out
    assert re.search(r"time: [\d.]+ s from the first start to the last finish; runs [\d.]+ s", out)
    assert re.search(r"disk: [\d.]+ [kM]?B of images built", out)
    assert "FAILED: It fails" in out and "the pre-flight failed" in done.stderr
    assert all(run.verification.cold for run in Preflight.objects.get().runs.select_related("verification"))


def whole_site(root, count: int) -> None:
    """`count` patterns, one workshop over them all, frozen, then checked; one example changed since."""
    items = [{"pattern": f"pattern-{i}", "minutes": 1, "depth": "core"} for i in range(count)]
    factories.write_tree(root / "patterns", count=count)
    write_workshop(
        root / "workshops", data=workshop(duration="10h", parts=[{"title": "All", "items": items}], cuts=None)
    )
    assert sync_patterns(root / "patterns", root / "workshops").ok
    freeze_now(*find_workshop("morning")[:1])
    (root / "patterns" / "pattern-0" / "examples" / "hello" / "hello.sh").write_text(
        "#!/bin/sh\necho moved\n"
    )
    assert sync_patterns(root / "patterns", root / "workshops").ok
    for example_row in Example.objects.all():
        finished(example_row, "passed", result_with(2_000_000), minutes_ago=60)
    preflight, _ = start_preflight(*find_workshop("morning"))
    for run in preflight.runs.select_related("verification"):
        record(run.verification, "passed", result_with(2_500_000))


def page_queries(client) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def test_the_page_reads_the_preflight_and_the_freeze_in_queries_that_do_not_grow(client, tmp_path):
    whole_site(tmp_path / "small", 2)
    small = page_queries(client)
    assert "Failed" not in client.get(URL).content.decode()
    Workshop.objects.all().delete()
    Verification.objects.all().delete()
    whole_site(tmp_path / "big", 8)
    cache.clear()  # the pre-flight's page bump runs on commit, which a test's transaction never reaches
    html = client.get(URL).content.decode()
    assert "Passed: all 8 examples" in html and html.count("(+25%)") == 8
    assert "<code>pattern-0/hello</code>: changed hello.sh" in html
    assert page_queries(client) <= small


def analysed(facts, layers: list[tuple[str, int, bool]]) -> AnalysisSummary:
    """An analysis of `facts`'s image with these layers: (diff_id, bytes its files take, from the base)."""
    return AnalysisSummary(
        image_id=facts.id,
        layers=tuple(
            LayerSummary(
                index=index,
                blob=f"blobs/{index}",
                diff_id=diff_id,
                compression="none",
                stored_bytes=size,
                tar_bytes=size + 1024,
                content_bytes=size - 10,
                symlink_bytes=10,
                files=1,
                directories=1,
                base=base,
                created_by="",
                instruction="",
                totals={},
                changes_truncated=False,
                changes_cap=0,
            )
            for index, (diff_id, size, base) in enumerate(layers)
        ),
    )


def test_the_disk_used_counts_each_layer_the_engine_stores_once():
    base, builder = ("sha256:base", 1_990_000, True), ("sha256:deps", 500_000, False)
    app, app_v2 = image_facts("app"), image_facts("app-v2")
    # Two images of one run on the same base and the same dependencies layer; a second run's image
    # on the same base; the same diff as a layer on another parent is stored again (another chain).
    first = VerificationReport.from_json(stored_result(app, app_v2))
    first = dataclasses.replace(
        first,
        analysis={
            "app": analysed(app, [base, builder, ("sha256:app", 300, False)]),
            "app-v2": analysed(app_v2, [base, builder, ("sha256:app2", 400, False)]),
        },
    )
    other = image_facts("other")
    second = dataclasses.replace(
        VerificationReport.from_json(stored_result(other)),
        analysis={"other": analysed(other, [base, ("sha256:app", 300, False)])},
    )
    assert disk_used([first, second, None]) == 1_990_000 + 500_000 + 300 + 400 + 300
    # An image the run could not analyse: its own layers, and its base unless an analysed image has it.
    unread = image_facts("unread")
    third = VerificationReport.from_json(stored_result(unread))
    assert disk_used([first, third]) == 1_990_000 + 500_000 + 300 + 400 + unread.own_size
    assert disk_used([third]) == unread.base_size + unread.own_size


def stored_result(*images) -> dict:
    result = passed_result()
    return {**result, "images": {facts.name: to_json(facts) for facts in images}}
