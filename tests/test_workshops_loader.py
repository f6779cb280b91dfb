"""The workshop format: a valid file read into sources, and every kind of error named by file and field."""

import pytest
import yaml
from django.conf import settings

from catalog.content.importer import load_content
from catalog.workshops.loader import CUT_FIELDS, FIELDS, ITEM_FIELDS, PART_FIELDS
from catalog.workshops.sources import duration_text, parse_duration
from tests import factories
from tests.workshop_files import add_example, workshop, write_site

FILE = "workshops/morning.yaml"


def problems(root, data: dict | None = None) -> list[str]:
    tree, folder = write_site(root, data=data)
    return [str(error) for error in load_content(tree, folder).errors]


def test_a_valid_file_is_read_with_defaults_resolved(tmp_path):
    tree, folder = write_site(tmp_path)
    add_example(tree, "pattern-0", "second")
    content = load_content(tree, folder)
    assert content.errors == ()
    (found,) = content.workshops.workshops
    assert (found.slug, found.title, found.minutes, found.audience) == (
        "morning",
        "Containers in a morning",
        60,
        "people who build images",
    )
    first = found.parts[0].items[0]
    assert (first.pattern, first.examples, first.minutes, first.depth) == (
        "pattern-0",
        ("hello", "second"),  # no `examples`: all of the pattern's, in the pattern's order
        20,
        "core",
    )
    assert first.notes == "Ask the **room**."
    assert [(cut.name, cut.minutes, cut.drop_depth) for cut in found.cuts] == [("short", 40, ("extra",))]
    assert found.content_hash == load_content(tree, folder).workshops.workshops[0].content_hash


def test_listed_examples_are_kept_in_the_authors_order(tmp_path):
    data = workshop()
    data["parts"][0]["items"][0]["examples"] = ["second", "hello"]
    tree, folder = write_site(tmp_path, data=data)
    add_example(tree, "pattern-0", "second")
    (found,) = load_content(tree, folder).workshops.workshops
    assert found.parts[0].items[0].examples == ("second", "hello")


def test_no_workshops_folder_means_no_workshops(tmp_path):
    factories.write_tree(tmp_path / "patterns", count=1)
    content = load_content(tmp_path / "patterns", tmp_path / "workshops")
    assert (content.errors, content.workshops.workshops) == ((), ())


@pytest.mark.parametrize(
    ("value", "minutes"), [("2h", 120), ("3h30m", 210), ("90m", 90), ("1h5m", 65), ("45m", 45)]
)
def test_durations(value, minutes):
    assert parse_duration(value) == minutes


@pytest.mark.parametrize("value", ["2 hours", "2H", "h", "", "90", 90, None, "0m", "1m30s", "30m1h"])
def test_durations_that_are_refused(value):
    with pytest.raises(ValueError):
        parse_duration(value)


def test_duration_words():
    assert [duration_text(m) for m in (45, 60, 90, 210)] == ["45 min", "1 h", "1 h 30 min", "3 h 30 min"]


def item_change(**fields) -> dict:
    data = workshop()
    data["parts"][0]["items"][0].update(fields)
    data["parts"][0]["items"][0] = {k: v for k, v in data["parts"][0]["items"][0].items() if v is not None}
    return data


def cut_change(**fields) -> dict:
    data = workshop()
    data["cuts"][0].update(fields)
    data["cuts"][0] = {k: v for k, v in data["cuts"][0].items() if v is not None}
    return data


ITEM_ZERO = f"{FILE}: parts[0].items[0]"

CASES = [
    (workshop(colour="red"), f"{FILE}: colour: unknown field; expected audience, cuts, date, duration"),
    (workshop(date="next monday"), f"{FILE}: date: expected a day like 2026-05-14, got 'next monday'"),
    (workshop(date="2026-05-14T09:00:00"), f"{FILE}: date: expected a day like 2026-05-14"),
    (workshop(title="x" * 201), f"{FILE}: title: at most 200 characters, not 201"),
    (workshop(duration="169h"), f"{FILE}: duration: '169h' is longer than a week (168h)"),
    (workshop(title=None), f"{FILE}: title: required text is missing"),
    (workshop(summary="  "), f"{FILE}: summary: required text is missing"),
    (workshop(audience=["x"]), f"{FILE}: audience: required text is missing"),
    (workshop(duration=None), f"{FILE}: duration: required: a duration like '2h', '3h30m' or '90m'"),
    (workshop(duration="2 hours"), f"{FILE}: duration: '2 hours' is not a duration like"),
    (workshop(duration=120), f"{FILE}: duration: 120 is not a duration like"),
    (workshop(duration="0h"), f"{FILE}: duration: a duration is longer than nothing"),
    (workshop(parts=None), f"{FILE}: parts: required: a list of parts"),
    (workshop(parts=[]), f"{FILE}: parts: required: a list of parts"),
    (workshop(parts=["intro"]), f"{FILE}: parts[0]: expected a mapping of fields"),
    (workshop(parts=[{"title": "Empty", "items": []}]), f"{FILE}: parts[0].items: required: a list of items"),
    (
        workshop(parts=[{"title": "x", "items": [], "slides": 3}]),
        f"{FILE}: parts[0].slides: unknown field; expected items, title",
    ),
    (
        workshop(parts=[{"items": [{"pattern": "pattern-0", "minutes": 5, "depth": "core"}]}]),
        f"{FILE}: parts[0].title: required text is missing",
    ),
    (item_change(pattern="nope"), f"{ITEM_ZERO}.pattern: 'nope' is not a pattern of the catalog"),
    (item_change(pattern=None), f"{ITEM_ZERO}.pattern: required text is missing"),
    (
        item_change(examples=["nope"]),
        f"{ITEM_ZERO}.examples[0]: 'nope' is not an example of 'pattern-0' (it has: hello)",
    ),
    (item_change(examples="hello"), f"{ITEM_ZERO}.examples: expected a list of slugs"),
    (item_change(examples=["hello", "hello"]), f"{ITEM_ZERO}.examples[1]: 'hello' is listed twice"),
    (item_change(minutes=0), f"{ITEM_ZERO}.minutes: expected a whole number of minutes above 0, got 0"),
    (item_change(minutes="ten"), f"{ITEM_ZERO}.minutes: expected a whole number of minutes above 0"),
    (item_change(minutes=True), f"{ITEM_ZERO}.minutes: expected a whole number of minutes above 0"),
    (item_change(minutes=None), f"{ITEM_ZERO}.minutes: expected a whole number of minutes above 0"),
    (item_change(minutes=7.5), f"{ITEM_ZERO}.minutes: expected a whole number of minutes above 0"),
    (item_change(minutes=601), f"{ITEM_ZERO}.minutes: at most 600 minutes for one item, not 601"),
    (item_change(depth="deep"), f"{ITEM_ZERO}.depth: 'deep' is not one of core, extra"),
    (item_change(depth=None), f"{ITEM_ZERO}.depth: None is not one of core, extra"),
    (item_change(notes=["a"]), f"{ITEM_ZERO}.notes: expected text"),
    (item_change(slides=2), f"{ITEM_ZERO}.slides: unknown field; expected depth, examples, minutes, notes"),
    (cut_change(name="Short Cut"), f"{FILE}: cuts[0].name: 'Short Cut' is not a slug"),
    (cut_change(name=None), f"{FILE}: cuts[0].name: required text is missing"),
    (cut_change(name="a" * 81), f"{FILE}: cuts[0].name: at most 80 characters, not 81"),
    (cut_change(title=None), f"{FILE}: cuts[0].title: required text is missing"),
    (cut_change(duration="1h"), f"{FILE}: cuts[0].duration: a cut is a shorter version"),
    (cut_change(duration="a bit"), f"{FILE}: cuts[0].duration: 'a bit' is not a duration like"),
    (
        cut_change(drop_depth=["core", "lite"]),
        f"{FILE}: cuts[0].drop_depth[1]: 'lite' is not one of core, extra",
    ),
    (cut_change(drop_depth=None), f"{FILE}: cuts[0]: a cut drops something: give drop_depth, drop or both"),
    (cut_change(drop=["pod"]), f"{FILE}: cuts[0].drop[0]: 'pod' is not a pattern of this workshop"),
    (
        cut_change(drop=["pattern-0", "pattern-2"]),
        f"{FILE}: cuts[0]: the cut drops every item",
    ),
    (cut_change(speed="fast"), f"{FILE}: cuts[0].speed: unknown field; expected drop, drop_depth, duration"),
    (workshop(cuts={"name": "short"}), f"{FILE}: cuts: expected a list of cuts"),
]


@pytest.mark.parametrize(("data", "expected"), CASES)
def test_every_error_names_its_file_and_field(tmp_path, data, expected):
    found = problems(tmp_path, data)
    assert any(problem.startswith(expected) for problem in found), found


def test_an_example_is_shown_once_per_workshop(tmp_path):
    data = workshop()
    data["parts"][1]["items"].append({"pattern": "pattern-0", "minutes": 5, "depth": "extra"})
    shown = "example 'hello' of 'pattern-0' is already shown in parts[0].items[0]"
    assert problems(tmp_path, data) == [f"{FILE}: parts[1].items[1].examples: {shown}"]


def test_two_cuts_with_one_name(tmp_path):
    data = workshop()
    data["cuts"].append({"name": "short", "title": "Again", "duration": "30m", "drop": ["pattern-1"]})
    assert problems(tmp_path, data) == [f"{FILE}: cuts[1].name: 'short' is already the name of cuts[0]"]


def test_a_pattern_that_failed_to_load_is_named_as_such(tmp_path):
    tree, folder = write_site(tmp_path)
    (tree / "pattern-1" / "README.md").write_text("no front matter\n")
    found = [str(error) for error in load_content(tree, folder).errors]
    assert found[0].startswith("pattern-1/README.md: front matter:")
    assert (
        f"{FILE}: parts[0].items[1].pattern: 'pattern-1' did not load: fix the errors of its own files first"
        in (found)
    )


def test_yaml_errors_and_wrong_shapes(tmp_path):
    tree, folder = write_site(tmp_path)
    (folder / "broken.yaml").write_text("title: x\nparts: [\n  - a\n")
    (folder / "list.yaml").write_text(yaml.safe_dump(["title"]))
    (folder / "Bad Name.yaml").write_text(yaml.safe_dump(workshop()))
    (folder / "other.yml").write_text(yaml.safe_dump(workshop()))
    (folder / "README.md").write_text("# Not a workshop\n")
    found = [str(error) for error in load_content(tree, folder).errors]
    assert found[0].startswith("workshops/Bad Name.yaml: a workshop is one <slug>.yaml file")
    assert found[1].startswith("workshops/broken.yaml: invalid YAML at line")
    assert found[2] == "workshops/list.yaml: expected a mapping of fields (title, summary, ...)"
    assert found[3].startswith("workshops/other.yml: a workshop is one <slug>.yaml file")
    assert len(found) == 4


def test_the_real_workshops_fit_and_name_real_patterns():
    """Like the catalog's own test: the shipped workshops/ validate against the shipped patterns/."""
    content = load_content(settings.PATTERNS_DIR, settings.WORKSHOPS_DIR)
    assert [str(error) for error in content.errors] == []
    slugs = {source.slug for source in content.workshops.workshops}
    assert {"dockerfiles-that-behave", "composite-containers"} <= slugs
    for source in content.workshops.workshops:
        items = [item for part in source.parts for item in part.items]
        planned = sum(item.minutes for item in items)
        # Minutes add up sensibly: within the duration, with a little room for an opening and questions.
        assert 0.8 * source.minutes <= planned <= source.minutes, source.slug
        assert {"core", "extra"} <= {item.depth for item in items}, source.slug
        assert all(item.notes for item in items), source.slug
        for cut in source.cuts:
            kept = sum(item.minutes for item in items if cut.keeps(item))
            assert kept <= cut.minutes, (source.slug, cut.name)


def test_the_two_hour_workshop_has_the_ninety_minute_cut():
    content = load_content(settings.PATTERNS_DIR, settings.WORKSHOPS_DIR)
    shops = {source.slug: source for source in content.workshops.workshops}
    behave = shops["dockerfiles-that-behave"]
    assert behave.minutes == 120
    ninety = next(cut for cut in behave.cuts if cut.name == "ninety-minutes")
    assert (ninety.minutes, ninety.drop_depth) == (90, ("extra",))
    assert shops["composite-containers"].minutes == 210


def test_the_workshops_readme_documents_every_field():
    readme = (settings.WORKSHOPS_DIR / "README.md").read_text()
    for field in FIELDS | PART_FIELDS | ITEM_FIELDS | CUT_FIELDS:
        assert f"{field}:" in readme, field
