"""sync_patterns with workshops: one transaction with the patterns, idempotent, unpublishing, the command."""

import pytest
import yaml
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.content.importer import sync_patterns
from catalog.models import Pattern, Workshop, WorkshopCut, WorkshopItem, WorkshopPart
from tests.workshop_files import workshop, write_site, write_workshop

pytestmark = pytest.mark.django_db


def rows() -> list:
    """Every workshop row with its time of update, to prove a sync touched nothing."""
    return [
        list(Workshop.objects.values_list("pk", "updated_at", "published")),
        list(WorkshopPart.objects.values_list("pk", "title")),
        list(WorkshopItem.objects.values_list("pk", "minutes", "notes_html")),
        list(WorkshopCut.objects.values_list("pk", "name")),
    ]


def test_sync_writes_the_workshop_with_parts_items_and_cuts(tmp_path):
    tree, folder = write_site(tmp_path)
    report = sync_patterns(tree, folder)
    assert report.ok, report.errors
    assert (report.workshops.created, report.workshops.updated, report.workshops.unchanged) == (1, 0, 0)
    shop = Workshop.objects.with_agenda().get(slug="morning")
    assert (shop.title, shop.duration_minutes, shop.source, shop.owner, shop.published) == (
        "Containers in a morning",
        60,
        "curated",
        None,
        True,
    )
    parts = list(shop.parts.all())
    assert [part.title for part in parts] == ["First steps", "Going further"]
    first = parts[0].items.all()[0]
    assert (first.pattern.slug, first.examples, first.minutes, first.depth) == (
        "pattern-0",
        ["hello"],
        20,
        "core",
    )
    assert first.notes_markdown == "Ask the **room**."
    assert first.notes_html == "<p>Ask the <strong>room</strong>.</p>"
    (cut,) = shop.cuts.all()
    assert (cut.name, cut.duration_minutes, cut.drop_depths, cut.drop_patterns) == (
        "short",
        40,
        ["extra"],
        [],
    )


def test_syncing_twice_changes_nothing(tmp_path):
    tree, folder = write_site(tmp_path)
    sync_patterns(tree, folder)
    before = rows()
    report = sync_patterns(tree, folder)
    assert (report.workshops.created, report.workshops.updated, report.workshops.unchanged) == (0, 0, 1)
    assert not report.workshops.changed
    assert rows() == before


def test_an_edited_file_updates_only_its_workshop(tmp_path):
    tree, folder = write_site(tmp_path)
    write_workshop(folder, "other")
    sync_patterns(tree, folder)
    other = Workshop.objects.get(slug="other").updated_at
    data = workshop()
    data["parts"][0]["items"][0]["minutes"] = 25
    write_workshop(folder, data=data)
    report = sync_patterns(tree, folder)
    assert (report.workshops.updated, report.workshops.unchanged) == (1, 1)
    assert WorkshopItem.objects.get(part__workshop__slug="morning", pattern__slug="pattern-0").minutes == 25
    assert Workshop.objects.get(slug="other").updated_at == other


def test_a_removed_file_unpublishes_and_coming_back_publishes_again(tmp_path):
    tree, folder = write_site(tmp_path)
    sync_patterns(tree, folder)
    path = folder / "morning.yaml"
    saved = path.read_text()
    path.unlink()
    report = sync_patterns(tree, folder)
    assert report.workshops.removed == 1
    assert not Workshop.objects.get(slug="morning").published
    assert sync_patterns(tree, folder).workshops.removed == 0
    path.write_text(saved)
    assert sync_patterns(tree, folder).workshops.updated == 1
    assert Workshop.objects.get(slug="morning").published


def test_an_invalid_workshop_writes_nothing_not_even_patterns(tmp_path):
    data = workshop()
    data["parts"][0]["items"][0]["pattern"] = "nope"
    tree, folder = write_site(tmp_path, data=data)
    report = sync_patterns(tree, folder)
    assert [str(e) for e in report.errors] == [
        "workshops/morning.yaml: parts[0].items[0].pattern: 'nope' is not a pattern of the catalog"
    ]
    assert (Pattern.objects.count(), Workshop.objects.count()) == (0, 0)


def test_an_invalid_pattern_writes_no_workshop(tmp_path):
    tree, folder = write_site(tmp_path)
    sync_patterns(tree, folder)
    before = rows()
    data = workshop(title="A new title")
    write_workshop(folder, data=data)
    (tree / "pattern-2" / "README.md").write_text("no front matter\n")
    assert not sync_patterns(tree, folder).ok
    assert rows() == before


def test_without_a_workshops_folder_the_sync_leaves_workshops_alone(tmp_path):
    tree, folder = write_site(tmp_path)
    sync_patterns(tree, folder)
    report = sync_patterns(tree)  # patterns only, as every pattern-tree test calls it
    assert report.workshops.removed == 0
    assert Workshop.objects.published().count() == 1


def test_notes_are_sanitised_when_synced(tmp_path):
    data = workshop()
    data["parts"][0]["items"][0]["notes"] = (
        "Fine text.\n\n<script>alert(1)</script>\n\n[x](javascript:alert(1))"
    )
    tree, folder = write_site(tmp_path, data=data)
    sync_patterns(tree, folder)
    html = WorkshopItem.objects.get(pattern__slug="pattern-0").notes_html
    assert "<p>Fine text.</p>" in html
    assert "<script" not in html and "javascript:" not in html


def test_a_trainers_workshop_keeps_its_slug(tmp_path):
    tree, folder = write_site(tmp_path)
    sync_patterns(tree)
    trainer = get_user_model().objects.create_user("trainer")
    Workshop.objects.create(
        slug="morning",
        title="Mine",
        summary="s",
        audience="a",
        duration_minutes=30,
        source="trainer",
        owner=trainer,
    )
    report = sync_patterns(tree, folder)
    assert [str(e) for e in report.errors] == [
        "workshops/morning.yaml: the slug 'morning' is taken by a trainer's own workshop"
    ]
    assert Workshop.objects.get(slug="morning").title == "Mine"


def test_the_command_counts_workshops_and_checks_them(tmp_path, capsys):
    tree, folder = write_site(tmp_path)
    call_command("sync_patterns", path=tree)  # the `workshops` folder beside --path
    out = capsys.readouterr().out
    assert "created 3, updated 0, unchanged 0, removed 0" in out
    assert "workshops: created 1, updated 0, unchanged 0, unpublished 0" in out
    call_command("sync_patterns", path=tree, check=True)
    assert "3 patterns, 1 workshops, no problems" in capsys.readouterr().out
    (folder / "morning.yaml").write_text(yaml.safe_dump(workshop(duration="soon")))
    with pytest.raises(CommandError, match="1 problem"):
        call_command("sync_patterns", path=tree, check=True)
    assert "workshops/morning.yaml: duration: 'soon' is not a duration" in capsys.readouterr().err


def test_the_command_takes_another_workshops_folder(tmp_path, capsys):
    tree, _ = write_site(tmp_path)
    write_workshop(tmp_path / "elsewhere", "second")
    call_command("sync_patterns", path=tree, workshops=tmp_path / "elsewhere")
    assert list(Workshop.objects.values_list("slug", flat=True)) == ["second"]


def test_the_real_workshops_sync_with_the_real_patterns():
    report = sync_patterns(settings.PATTERNS_DIR, settings.WORKSHOPS_DIR)
    assert report.ok, [str(error) for error in report.errors]
    assert report.workshops.created >= 2
    assert sync_patterns(settings.PATTERNS_DIR, settings.WORKSHOPS_DIR).workshops.unchanged >= 2
