"""The agenda and the readiness line, from Verification rows stored as the worker stores them."""

import pytest

from catalog.content.importer import sync_patterns
from catalog.models import Example, Workshop
from catalog.workshops.agenda import build_agenda
from catalog.workshops.evidence import gather_evidence
from catalog.workshops.readiness import readiness_of
from tests.verification_results import build_failed_result, finished, passed_result
from tests.workshop_files import add_example, measured_result, workshop, write_site

pytestmark = pytest.mark.django_db

BUSYBOX, DEBIAN, PYTHON = "busybox:1.35", "debian:bookworm-slim", "python:3.11-slim-bookworm"
MB = 1_000_000


@pytest.fixture
def site(tmp_path):
    tree, folder = write_site(tmp_path)
    assert sync_patterns(tree, folder).ok
    return tree, folder


def example(pattern: str, slug: str = "hello") -> Example:
    return Example.objects.get(pattern__slug=pattern, slug=slug)


def agenda_of(cut_name: str = ""):
    shop = Workshop.objects.with_agenda().get(slug="morning")
    cut = next((cut for cut in shop.cuts.all() if cut.name == cut_name), None)
    items = [item for part in shop.parts.all() for item in part.items.all()]
    return build_agenda(shop, gather_evidence({item.pattern_id for item in items}), cut)


def verify_all(**bases_by_pattern):
    for pattern in ("pattern-0", "pattern-1", "pattern-2"):
        bases = bases_by_pattern.get(pattern.replace("-", "_"), {BUSYBOX: 2 * MB})
        finished(example(pattern), "passed", measured_result(bases, seconds=10))


def test_minutes_measured_times_and_totals_per_part_and_event(site):
    verify_all()
    agenda = agenda_of()
    assert [part.minutes for part in agenda.parts] == [35, 10]
    assert (agenda.minutes, agenda.target, agenda.spare, agenda.fit_warning) == (45, 60, 15, "")
    first = agenda.parts[0]
    assert [(line.item.pattern.slug, line.item.minutes, line.measured.seconds) for line in first.items] == [
        ("pattern-0", 20, 10),
        ("pattern-1", 15, 10),
    ]
    assert first.measured.seconds == 20
    assert agenda.measured.seconds == 30
    assert agenda.measured.text == "30 s"


def test_a_base_shared_by_several_items_is_counted_once(site):
    verify_all(pattern_1={BUSYBOX: 2 * MB, DEBIAN: 75 * MB}, pattern_2={BUSYBOX: 2 * MB, PYTHON: 50 * MB})
    agenda = agenda_of()
    first, second = agenda.parts
    assert [line.download.size for line in first.items] == [2 * MB, 77 * MB]
    assert first.download.size == 77 * MB  # busybox once for the part
    assert first.download.bases == (BUSYBOX, DEBIAN)
    assert second.download.size == 52 * MB
    assert agenda.download.size == 127 * MB  # busybox once for the event
    assert agenda.download.bases == (BUSYBOX, DEBIAN, PYTHON)
    assert agenda.download.size_text == "127 MB"


def test_a_base_no_run_reported_a_size_for_is_named_not_guessed(site):
    verify_all(pattern_0={BUSYBOX: 2 * MB, DEBIAN: None})
    agenda = agenda_of()
    assert agenda.download.unknown == (DEBIAN,)
    assert agenda.download.size == 2 * MB


def test_the_largest_size_seen_for_a_base_wins(site):
    verify_all(pattern_0={BUSYBOX: 2 * MB}, pattern_1={BUSYBOX: 4 * MB})
    assert agenda_of().download.size == 4 * MB


def test_measured_time_comes_from_the_newest_pass_even_after_a_failure(site):
    verify_all()
    finished(example("pattern-0"), "passed", measured_result({BUSYBOX: 2 * MB}, seconds=30), minutes_ago=1)
    finished(example("pattern-1"), "failed", build_failed_result(), minutes_ago=1)
    lines = agenda_of().items
    assert lines[0].measured.seconds == 30
    assert lines[1].measured.seconds == 10  # the failure after it measured nothing


def test_an_example_never_passed_is_not_measured(site):
    finished(example("pattern-0"), "failed", build_failed_result())
    line = agenda_of().items[0]
    assert (line.measured.seconds, line.measured.missing, line.measured.text) == (
        None,
        ("hello",),
        "not measured",
    )


def test_several_examples_of_an_item_add_up(site, tmp_path):
    tree, folder = site
    add_example(tree, "pattern-0", "second")
    assert sync_patterns(tree, folder).ok
    finished(example("pattern-0"), "passed", measured_result({BUSYBOX: 2 * MB}, seconds=10))
    finished(example("pattern-0", "second"), "passed", measured_result({BUSYBOX: 2 * MB}, seconds=5))
    line = agenda_of().items[0]
    assert [e.slug for e in line.examples] == ["hello", "second"]
    assert (line.measured.seconds, line.download.size) == (15, 2 * MB)


def test_an_item_whose_examples_take_longer_than_its_minutes_is_flagged(site):
    finished(example("pattern-2"), "passed", measured_result({BUSYBOX: 2 * MB}, seconds=11 * 60))
    lines = agenda_of().items
    assert lines[2].warning == "Building and running its examples takes longer than the 10 min given."
    assert lines[0].warning == ""


def test_minutes_that_do_not_fit_the_duration_are_a_warning(tmp_path):
    tree, folder = write_site(tmp_path, data=workshop(duration="40m", cuts=None))
    assert sync_patterns(tree, folder).ok
    agenda = agenda_of()
    assert agenda.spare == -5
    assert agenda.fit_warning == "The items add up to 45 min, 5 min more than the 40 min of the workshop."


def test_a_cut_drops_its_items_and_is_measured_against_its_own_duration(site):
    verify_all()
    agenda = agenda_of("short")
    assert [line.item.pattern.slug for line in agenda.items] == ["pattern-0", "pattern-2"]
    assert [item.pattern.slug for item in agenda.dropped] == ["pattern-1"]
    assert (agenda.minutes, agenda.target, agenda.spare) == (30, 40, 10)
    assert agenda.measured.seconds == 20


def test_a_cut_that_does_not_fit_names_itself(tmp_path):
    data = workshop(cuts=[{"name": "tiny", "title": "Tiny", "duration": "25m", "drop": ["pattern-1"]}])
    tree, folder = write_site(tmp_path, data=data)
    assert sync_patterns(tree, folder).ok
    agenda = agenda_of("tiny")
    assert agenda.fit_warning == "The items add up to 30 min, 5 min more than the 25 min of the cut “Tiny”."


def test_a_part_whose_items_are_all_dropped_disappears(tmp_path):
    data = workshop(cuts=[{"name": "first", "title": "First only", "duration": "40m", "drop": ["pattern-2"]}])
    tree, folder = write_site(tmp_path, data=data)
    assert sync_patterns(tree, folder).ok
    assert [part.part.title for part in agenda_of("first").parts] == ["First steps"]


# --- readiness ---


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
