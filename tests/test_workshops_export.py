"""A workshop as a file and back: export(import(file)) is the file, import(export(workshop)) is the workshop,
and an upload's every problem is named by its field path."""

import dataclasses
import datetime
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile

from catalog.content.importer import sync_patterns
from catalog.models import Pattern, Workshop
from catalog.workshops.export import workshop_source, workshop_yaml
from catalog.workshops.owned import save_as_own, size_errors
from catalog.workshops.sources import (
    CutSource,
    ItemSource,
    PartSource,
    WorkshopSource,
    duration_words,
    parse_duration,
)
from catalog.workshops.uploads import MAX_BYTES, published_catalog, read_upload
from tests.workshop_files import synced_site, workshop

pytestmark = pytest.mark.django_db


@pytest.fixture
def trainer():
    return User.objects.create_user("ada", password="a long passphrase of words")


@pytest.fixture
def site(tmp_path):
    return synced_site(tmp_path, second_example=True)


def imported(text: str, owner) -> Workshop:
    source, errors = read_upload(text.encode(), "upload.yaml")
    assert errors == [], [str(error) for error in errors]
    return Workshop.objects.with_agenda().get(pk=save_as_own(source, owner).pk)


def exported(workshop: Workshop) -> str:
    return workshop_yaml(
        workshop_source(Workshop.objects.with_agenda().get(pk=workshop.pk)), published_catalog()
    )


def test_the_curated_files_come_back_byte_for_byte(trainer):
    """The real patterns and workshops: each file imported as a trainer's, then exported, is the same text."""
    report = sync_patterns(settings.PATTERNS_DIR, settings.WORKSHOPS_DIR)
    assert report.ok, [str(error) for error in report.errors]
    files = sorted(Path(settings.WORKSHOPS_DIR).glob("*.yaml"))
    assert {path.stem for path in files} >= {"dockerfiles-that-behave", "composite-containers"}
    for path in files:
        text = path.read_text()
        assert exported(imported(text, trainer)) == text, path.name
        # The curated row, synced from the same file, exports the same text too.
        assert exported(Workshop.objects.get(slug=path.stem)) == text, path.name


def test_a_workshop_comes_back_from_its_own_file(site, trainer):
    data = workshop(date="2026-05-14")
    first = data["parts"][0]["items"][0]
    first["examples"] = ["second"]  # some of the pattern's examples, not all
    first["notes"] = "Ask the **room**.\n\n- one\n- two: with a colon\n\n```\ncode   with spaces\n```"
    data["parts"][1]["items"].append(
        {"pattern": "pattern-0", "examples": ["hello"], "minutes": 3, "depth": "extra"}
    )
    data["summary"] = "A summary: with a colon, # a hash, and “quotes”. " * 4
    data["cuts"].append({"name": "tiny", "title": "Tiny", "duration": "25m", "drop": ["pattern-1"]})
    original = imported(yaml.safe_dump(data, sort_keys=False), trainer)
    assert original.event_date == datetime.date(2026, 5, 14)

    text = exported(original)
    again = imported(text, trainer)
    assert again.pk != original.pk and again.slug != original.slug
    before, after = workshop_source(original), workshop_source(again)
    assert after == dataclasses.replace(before, slug=after.slug)
    assert [item.notes_html for part in again.parts.all() for item in part.items.all()] == [
        item.notes_html for part in original.parts.all() for item in part.items.all()
    ]
    assert exported(again) == text
    assert "examples: [second]" in text and "date: 2026-05-14" in text
    assert "examples: [hello]" in text  # the second item shows one of two examples
    assert text.count("examples:") == 2  # items that show all of their pattern's examples say nothing


@pytest.mark.parametrize(
    ("minutes", "words"), [(45, "45m"), (60, "1h"), (90, "90m"), (120, "2h"), (210, "3h30m")]
)
def test_durations_are_written_in_the_files_words(minutes, words):
    assert duration_words(minutes) == words
    assert parse_duration(words) == minutes


def problems(data: bytes) -> list[str]:
    source, errors = read_upload(data, "mine.yaml")
    assert source is None
    return [str(error) for error in errors]


def test_an_upload_is_checked_against_the_published_catalog(site):
    data = workshop()
    data["parts"][1]["items"][0]["pattern"] = "no-such-pattern"
    data["parts"][0]["items"][0]["examples"] = ["nope"]
    data["parts"][0]["title"] = "x" * 201
    data["cuts"][0]["colour"] = "red"
    found = problems(yaml.safe_dump(data).encode())
    assert "mine.yaml: parts[1].items[0].pattern: 'no-such-pattern' is not a pattern of the catalog" in found
    assert (
        "mine.yaml: parts[0].items[0].examples[0]: "
        "'nope' is not an example of 'pattern-0' (it has: hello, second)" in found
    )
    assert "mine.yaml: parts[0].title: at most 200 characters, not 201" in found
    assert any(problem.startswith("mine.yaml: cuts[0].colour: unknown field") for problem in found)


def test_an_unpublished_pattern_cannot_be_imported(site):
    Workshop.objects.all().delete()
    Pattern.objects.filter(slug="pattern-2").update(published=False)
    found = problems(yaml.safe_dump(workshop()).encode())
    assert found == ["mine.yaml: parts[1].items[0].pattern: 'pattern-2' is not a pattern of the catalog"]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"x" * (MAX_BYTES + 1), "mine.yaml: the file is over 64 KiB"),
        ("title: caf\xe9".encode("latin-1"), "mine.yaml: not UTF-8 text (byte 10)"),
        (
            b"title: &t Two\nsummary: *t\n",
            "mine.yaml: anchors and aliases (& and *) are not accepted",
        ),
        (b"parts: [\n", "mine.yaml: invalid YAML at line"),
        (b"- a list\n", "mine.yaml: expected a mapping of fields"),
        (b"!!python/object:os.system {}\n", "mine.yaml: invalid YAML at line 1"),
    ],
)
def test_what_an_upload_may_not_be(site, data, expected):
    found = problems(data)
    assert len(found) == 1 and found[0].startswith(expected), found


def test_the_size_caps_of_a_trainers_workshop():
    item = ItemSource("pattern-0", ("hello",), 1, "core", "")
    cut = CutSource("short", "Short", 30, ("extra",), ())
    source = WorkshopSource("big", "Big", "S", "A", 60, (PartSource("P", (item,) * 5),) * 21, (cut,) * 11)
    assert [str(error) for error in size_errors(source, "big.yaml")] == [
        "big.yaml: parts: at most 20 parts, not 21",
        "big.yaml: parts: at most 100 items in all, not 105",
        "big.yaml: cuts: at most 10 cuts, not 11",
    ]
    assert size_errors(dataclasses.replace(source, parts=source.parts[:20], cuts=()), "big.yaml") == []


def test_the_download_is_the_file_named_after_the_slug(client, site):
    response = client.get("/workshops/morning.yaml")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="morning.yaml"'
    assert response["Content-Type"] == "application/yaml; charset=utf-8"
    _, folder = site
    assert response.content.decode() == exported(Workshop.objects.get(slug="morning"))
    downloaded, _ = read_upload(response.content, "morning.yaml", slug="morning")
    written, _ = read_upload((folder / "morning.yaml").read_bytes(), "morning.yaml", slug="morning")
    assert downloaded == written is not None
    assert client.get("/workshops/nope.yaml").status_code == 404


def test_a_trainers_file_is_downloaded_by_its_owner_only(client, site, trainer):
    mine = imported(yaml.safe_dump(workshop()), trainer)
    url = f"/workshops/{mine.slug}.yaml"
    assert client.get(url).status_code == 404
    User.objects.create_user("bob", password="another long passphrase")
    client.login(username="bob", password="another long passphrase")
    assert client.get(url).status_code == 404
    client.login(username="ada", password="a long passphrase of words")
    assert client.get(url).status_code == 200


def test_importing_through_the_page(client, site, trainer):
    client.force_login(trainer)
    assert client.get("/my/workshops/import/").status_code == 200
    bad = workshop()
    bad["parts"][0]["items"][0]["minutes"] = 0
    upload = SimpleUploadedFile("bad.yaml", yaml.safe_dump(bad).encode(), "application/yaml")
    response = client.post("/my/workshops/import/", {"file": upload})
    html = response.content.decode()
    assert response.status_code == 200
    assert "bad.yaml was not imported" in html
    assert "<code>parts[0].items[0].minutes</code>: expected a whole number of minutes above 0, got 0" in html
    assert not Workshop.objects.filter(owner=trainer).exists()

    upload = SimpleUploadedFile("good.yaml", yaml.safe_dump(workshop()).encode(), "application/yaml")
    response = client.post("/my/workshops/import/", {"file": upload})
    mine = Workshop.objects.get(owner=trainer)
    assert response.status_code == 302 and response["Location"] == f"/my/workshops/{mine.slug}/"
    assert (mine.source, mine.slug, mine.title) == (
        "trainer",
        "ada-containers-in-a-morning",
        "Containers in a morning",
    )
    assert [part.title for part in mine.parts.order_by("position")] == ["First steps", "Going further"]
