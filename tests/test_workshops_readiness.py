"""The readiness line: all passed, on which engine and when, or which examples need attention."""

import pytest

from catalog.workshops.readiness import readiness_of
from tests.verification_results import build_failed_result, finished, passed_result
from tests.workshop_files import agenda_of, example, synced_site, verify_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def site(tmp_path):
    return synced_site(tmp_path)


def test_ready_when_every_example_passed_its_current_files(site):
    for minutes_ago, pattern in ((180, "pattern-0"), (60, "pattern-1"), (5, "pattern-2")):
        finished(example(pattern), "passed", passed_result(), minutes_ago=minutes_ago)
    readiness = readiness_of(agenda_of().items)
    assert readiness.ready
    assert readiness.headline == "All 3 examples passed on Docker 20.10.24, x86_64"
    assert readiness.oldest_ago == "3\xa0hours ago"  # the oldest of the runs: all passed since


def test_a_failed_example_is_named_and_linked_to_its_verification(site):
    verify_all()
    finished(example("pattern-1"), "failed", build_failed_result(), minutes_ago=1)
    readiness = readiness_of(agenda_of().items)
    assert not readiness.ready
    assert readiness.headline == "Not ready: 1 of 3 examples need attention"
    (trouble,) = readiness.trouble
    assert (trouble.pattern.slug, trouble.example, trouble.words) == (
        "pattern-1",
        "hello",
        "failed its last run",
    )
    assert trouble.url == "/patterns/pattern-1/#verification-hello"


def test_an_example_changed_since_its_last_run_is_stale(site):
    verify_all()
    latest = example("pattern-0").verifications.get()
    latest.example_hash = "0" * 64  # verified files that are no longer the example's
    latest.save()
    (trouble,) = readiness_of(agenda_of().items).trouble
    assert (trouble.pattern.slug, trouble.verdict) == ("pattern-0", "stale")
    assert trouble.words.startswith("changed since its last run")


def test_never_verified_error_and_skipped_are_each_said(site):
    finished(example("pattern-0"), "error", None, failure_reason="INFRA", detail="the engine went away")
    finished(example("pattern-1"), "failed", None, failure_reason="HOST_ACCESS_DISABLED")
    readiness = readiness_of(agenda_of().items)
    assert [(t.pattern.slug, t.verdict) for t in readiness.trouble] == [
        ("pattern-0", "error"),
        ("pattern-2", "never"),
        ("pattern-1", "skipped"),
    ]
    assert readiness.headline == "Not ready: 3 of 3 examples need attention"


def test_a_cut_is_ready_when_what_it_keeps_is(site):
    verify_all()
    finished(example("pattern-1"), "failed", build_failed_result(), minutes_ago=1)  # an extra item
    assert not readiness_of(agenda_of().items).ready
    assert readiness_of(agenda_of("short").items).ready


def test_engines_of_the_runs_are_all_named(site):
    verify_all()
    newer = passed_result()
    newer["environment"]["engine_version"] = "27.3.1"
    newer["environment"]["arch"] = "aarch64"
    finished(example("pattern-2"), "passed", newer, minutes_ago=1)
    assert readiness_of(agenda_of().items).headline == (
        "All 3 examples passed on Docker 20.10.24, x86_64 and Docker 27.3.1, aarch64"
    )
