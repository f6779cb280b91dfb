"""The agenda: minutes, measured times, downloads with shared layers counted once, totals, fit and cuts."""

import pytest

from catalog.content.importer import sync_patterns
from tests.verification_results import build_failed_result, finished
from tests.workshop_files import (
    BUSYBOX,
    MB,
    add_example,
    agenda_of,
    example,
    measured_result,
    synced_site,
    verify_all,
    workshop,
    write_site,
)

pytestmark = pytest.mark.django_db

DEBIAN, PYTHON = "debian:bookworm-slim", "python:3.11-slim-bookworm"


@pytest.fixture
def site(tmp_path):
    return synced_site(tmp_path)


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


def test_a_layer_two_bases_share_is_fetched_once(site):
    debian_layer = ("sha256:bookworm", 28 * MB)
    verify_all(
        pattern_0={DEBIAN: (debian_layer,)},
        pattern_1={PYTHON: (debian_layer, ("sha256:python", 14 * MB))},
        pattern_2={BUSYBOX: 2 * MB},
    )
    agenda = agenda_of()
    assert [line.download.size for line in agenda.items] == [28 * MB, 42 * MB, 2 * MB]
    assert agenda.parts[0].download.size == 42 * MB  # python stands on the debian layer
    assert agenda.download.size == 44 * MB


def test_a_base_no_run_reported_a_size_for_is_named_not_guessed(site):
    verify_all(pattern_0={BUSYBOX: 2 * MB, DEBIAN: None})
    agenda = agenda_of()
    assert agenda.download.unknown == (DEBIAN,)
    assert agenda.download.size == 2 * MB


def test_the_newest_measurement_of_a_base_wins(site):
    # A base provisioned again (a new image ID) has new layers: the newest run's figures stand.
    finished(example("pattern-0"), "passed", measured_result({BUSYBOX: 4 * MB}), minutes_ago=2)
    finished(example("pattern-1"), "passed", measured_result({BUSYBOX: 3 * MB}), minutes_ago=1)
    finished(example("pattern-2"), "passed", measured_result({BUSYBOX: 5 * MB}), minutes_ago=3)
    assert agenda_of().download.size == 3 * MB


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
