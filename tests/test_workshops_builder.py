"""The trainer's builder without JavaScript, through the test client: plain forms, POST then redirect, the
owner only, errors beside their field with what was typed kept."""

import re

import pytest
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.content.importer import sync_patterns
from catalog.models import Workshop, WorkshopItem, WorkshopPart
from catalog.workshops.sources import CutSource
from catalog.workshops.uploads import read_upload
from tests import factories
from tests.workshop_files import synced_site, workshop, write_workshop

pytestmark = pytest.mark.django_db

PASSWORD = "a long passphrase of words"


@pytest.fixture
def site(tmp_path):
    return synced_site(tmp_path, patterns=4, second_example=True)


@pytest.fixture
def trainer(client):
    user = User.objects.create_user("ada", password=PASSWORD)
    client.force_login(user)
    return user


DETAILS = {
    "title": "Containers for the data team",
    "summary": "Three patterns,\r\n  measured.",
    "audience": "analysts",
    "duration": "90m",
    "event_date": "2026-05-14",
}


def create(client, **changes) -> Workshop:
    response = client.post("/my/workshops/new/", {**DETAILS, **changes})
    workshop = Workshop.objects.get(title=changes.get("title", DETAILS["title"]))
    assert response.status_code == 302 and response["Location"] == f"/my/workshops/{workshop.slug}/"
    return workshop


def add(client, workshop: Workshop, pattern: str, part: WorkshopPart | None = None, **fields) -> WorkshopItem:
    part = part or workshop.parts.order_by("position").last()
    data = {"pattern": pattern, "part": part.pk, "examples": ["hello"], "minutes": 10, "depth": "core"}
    response = client.post(f"/my/workshops/{workshop.slug}/items/new/", {**data, **fields})
    assert response.status_code == 302, response.content.decode()
    item = WorkshopItem.objects.latest("pk")
    assert response["Location"] == f"/my/workshops/{workshop.slug}/#item-{item.pk}"
    return item


def order(workshop: Workshop) -> list[list[str]]:
    return [
        [item.pattern.slug for item in part.items.order_by("position")]
        for part in workshop.parts.order_by("position")
    ]


def post(client, url: str, data: dict | None = None, status: int = 302):
    response = client.post(url, data or {})
    assert response.status_code == status, response.content.decode()[:2000]
    return response


def test_anonymous_visitors_are_sent_to_log_in(client, site):
    listing = client.get("/workshops/").content.decode()
    assert '<a href="/my/workshops/">My workshops</a>' in listing and 'href="/accounts/signup/"' in listing
    response = client.get("/my/workshops/")
    assert response.status_code == 302 and response["Location"] == "/accounts/login/?next=/my/workshops/"


def test_create_a_workshop_with_its_details(client, site, trainer):
    page = client.get("/my/workshops/new/").content.decode()
    assert '<label for="id_duration">Duration:</label>' in page
    workshop = create(client)
    assert (workshop.slug, workshop.source, workshop.owner, workshop.duration_minutes) == (
        "ada-containers-for-the-data-team",
        "trainer",
        trainer,
        90,
    )
    assert workshop.summary == "Three patterns, measured."  # one paragraph, as it is shown
    assert str(workshop.event_date) == "2026-05-14"
    assert [part.title for part in workshop.parts.all()] == ["Part 1"]
    html = client.get(f"/my/workshops/{workshop.slug}/").content.decode()
    assert 'role="status"' in html and "Workshop created." in html
    assert 'value="90m"' in html  # the duration in the file's words
    mine = client.get("/my/workshops/").content.decode()
    assert f'href="/my/workshops/{workshop.slug}/"' in mine


def test_invalid_details_are_shown_beside_their_field_and_kept(client, site, trainer):
    response = client.post("/my/workshops/new/", {**DETAILS, "duration": "two hours", "title": ""})
    html = response.content.decode()
    assert response.status_code == 200 and not Workshop.objects.filter(owner=trainer).exists()
    assert 'id="id_duration_error"' in html and "&#x27;two hours&#x27; is not a duration like" in html
    assert (
        'aria-invalid="true"' in html and 'aria-describedby="id_duration_helptext id_duration_error"' in html
    )
    assert 'value="two hours"' in html and "Three patterns," in html and 'value="analysts"' in html
    assert 'id="id_title_error"' in html

    workshop = create(client)
    response = client.post(
        f"/my/workshops/{workshop.slug}/",
        {"details-" + k: v for k, v in DETAILS.items()} | {"details-duration": "0h"},
    )
    html = response.content.decode()
    assert (
        response.status_code == 200 and "a duration is longer than nothing" in html and 'value="0h"' in html
    )
    workshop.refresh_from_db()
    assert workshop.duration_minutes == 90
    assert "<h1>Containers for the data team</h1>" in html  # the page shows what is saved


def test_add_items_in_two_steps_without_javascript(client, site, trainer):
    workshop = create(client)
    part = workshop.parts.get()
    step = client.get(f"/my/workshops/{workshop.slug}/items/new/?part={part.pk}").content.decode()
    assert '<select name="pattern"' in step and '<option value="pattern-0">Pattern number 0</option>' in step
    assert 'method="get"' in step
    chosen = client.get(f"/my/workshops/{workshop.slug}/items/new/?part={part.pk}&pattern=pattern-0")
    html = chosen.content.decode()
    assert 'name="pattern" value="pattern-0"' in html
    assert html.count('name="examples"') == 2 and html.count("checked") >= 3  # both examples, core
    unknown = client.get(
        f"/my/workshops/{workshop.slug}/items/new/?part={part.pk}&pattern=nope"
    ).content.decode()
    assert 'id="id_pattern_error"' in unknown

    first = add(
        client, workshop, "pattern-0", examples=["second"], minutes=12, notes_markdown="Ask **them**."
    )
    assert (first.examples, first.minutes, first.notes_html) == (
        ["second"],
        12,
        "<p>Ask <strong>them</strong>.</p>",
    )
    add(client, workshop, "pattern-1", examples=["hello"], depth="extra")
    assert order(workshop) == [["pattern-0", "pattern-1"]]
    html = client.get(f"/my/workshops/{workshop.slug}/").content.decode()
    assert f'id="item-{first.pk}"' in html and "<code>second</code>" in html


def test_an_example_is_shown_once_and_item_errors_keep_what_was_typed(client, site, trainer):
    workshop = create(client)
    add(client, workshop, "pattern-0", examples=["hello"])
    data = {"pattern": "pattern-0", "part": workshop.parts.get().pk, "examples": ["hello"], "minutes": "0"}
    data |= {"depth": "extra", "notes_markdown": "My notes\r\nkept"}
    response = client.post(f"/my/workshops/{workshop.slug}/items/new/", data)
    html = response.content.decode()
    assert response.status_code == 200 and WorkshopItem.objects.filter(part__workshop=workshop).count() == 1
    assert "Each example is shown once per workshop: hello is already shown in part “Part 1”." in html
    assert 'id="id_minutes_error"' in html and 'value="0"' in html
    assert "My notes\r\nkept</textarea>" in html and re.search(r'value="extra"[^>]*checked', html)
    # A fresh form of the same pattern offers only the example not shown yet.
    chosen = client.get(f"/my/workshops/{workshop.slug}/items/new/?pattern=pattern-0").content.decode()
    assert re.search(r'value="second"[^>]*checked', chosen) and not re.search(
        r'value="hello"[^>]*checked', chosen
    )


def test_reorder_with_up_and_down_across_parts(client, site, trainer):
    workshop = create(client)
    a, b = add(client, workshop, "pattern-0"), add(client, workshop, "pattern-1")
    post(client, f"/my/workshops/{workshop.slug}/parts/new/", {"new-part-title": "Second"})
    second = workshop.parts.get(title="Second")
    c = add(client, workshop, "pattern-2", part=second)
    assert order(workshop) == [["pattern-0", "pattern-1"], ["pattern-2"]]

    move = f"/my/workshops/{workshop.slug}/items/{{}}/move/"
    response = post(client, move.format(b.pk), {"direction": "up"})
    assert response["Location"] == f"/my/workshops/{workshop.slug}/#item-{b.pk}"
    assert order(workshop) == [["pattern-1", "pattern-0"], ["pattern-2"]]
    post(client, move.format(a.pk), {"direction": "down"})  # the last of its part: to the next part's start
    assert order(workshop) == [["pattern-1"], ["pattern-0", "pattern-2"]]
    post(client, move.format(c.pk), {"direction": "up"})
    assert order(workshop) == [["pattern-1"], ["pattern-2", "pattern-0"]]
    post(client, move.format(c.pk), {"direction": "up"})  # the first of its part: to the previous part's end
    assert order(workshop) == [["pattern-1", "pattern-2"], ["pattern-0"]]
    post(client, move.format(b.pk), {"direction": "up"})  # already first: nothing moves, and it says so
    assert order(workshop) == [["pattern-1", "pattern-2"], ["pattern-0"]]
    assert "is already the first item" in client.get(f"/my/workshops/{workshop.slug}/").content.decode()
    post(client, move.format(b.pk), {"part": second.pk})
    assert order(workshop) == [["pattern-2"], ["pattern-0", "pattern-1"]]
    post(client, move.format(b.pk), {"direction": "sideways"}, status=400)

    parts = f"/my/workshops/{workshop.slug}/parts/{second.pk}/move/"
    post(client, parts, {"direction": "up"})
    assert [p.title for p in workshop.parts.order_by("position")] == ["Second", "Part 1"]
    assert [sorted(p.items.values_list("position", flat=True)) for p in workshop.parts.all()] == [[0, 1], [0]]


def test_rename_remove_and_edit(client, site, trainer):
    workshop = create(client)
    part = workshop.parts.get()
    item = add(client, workshop, "pattern-0")
    add(client, workshop, "pattern-1")
    post(client, f"/my/workshops/{workshop.slug}/parts/{part.pk}/", {f"part-{part.pk}-title": "Warm-up"})
    part.refresh_from_db()
    assert part.title == "Warm-up"
    response = post(
        client, f"/my/workshops/{workshop.slug}/parts/{part.pk}/", {f"part-{part.pk}-title": " "}, 200
    )
    assert f'id="id_part-{part.pk}-title_error"' in response.content.decode()

    edit = f"/my/workshops/{workshop.slug}/items/{item.pk}/"
    assert "checked" in client.get(edit).content.decode()
    post(
        client,
        edit,
        {"examples": ["hello", "second"], "minutes": 25, "depth": "extra", "notes_markdown": "- a"},
    )
    item.refresh_from_db()
    assert (item.examples, item.minutes, item.depth, item.notes_html) == (
        ["hello", "second"],
        25,
        "extra",
        "<ul>\n<li>a</li>\n</ul>",
    )
    response = post(client, edit, {"examples": [], "minutes": 601, "depth": "core"}, status=200)
    html = response.content.decode()
    assert "Choose at least one example to show." in html and 'value="601"' in html

    refused = post(client, f"/my/workshops/{workshop.slug}/parts/{part.pk}/remove/", status=200)
    assert "Move or remove its 2 items first." in refused.content.decode()
    post(client, f"/my/workshops/{workshop.slug}/items/{item.pk}/remove/")
    assert order(workshop) == [["pattern-1"]]
    assert list(part.items.values_list("position", flat=True)) == [0]


def test_a_workshop_is_its_owners_alone(client, site, trainer):
    workshop = create(client)
    item = add(client, workshop, "pattern-0")
    part = workshop.parts.get()
    assert client.get(workshop.get_absolute_url()).status_code == 200  # the owner sees its page

    other = User.objects.create_user("bob", password=PASSWORD)
    client.force_login(other)
    slug = workshop.slug
    for url in [
        f"/my/workshops/{slug}/",
        f"/my/workshops/{slug}/items/new/",
        f"/my/workshops/{slug}/items/{item.pk}/",
        f"/my/workshops/{slug}/delete/",
        f"/workshops/{slug}/",
        f"/workshops/{slug}/handout/",
        f"/workshops/{slug}.yaml",
        f"/my/workshops/copy/{slug}/",
    ]:
        assert client.get(url).status_code == 404, url
    for url, data in [
        (f"/my/workshops/{slug}/", {"details-title": "Mine now"}),
        (f"/my/workshops/{slug}/parts/new/", {"new-part-title": "Mine"}),
        (f"/my/workshops/{slug}/parts/{part.pk}/", {f"part-{part.pk}-title": "Mine"}),
        (f"/my/workshops/{slug}/parts/{part.pk}/move/", {"direction": "up"}),
        (f"/my/workshops/{slug}/parts/{part.pk}/remove/", {}),
        (f"/my/workshops/{slug}/items/{item.pk}/move/", {"direction": "up"}),
        (f"/my/workshops/{slug}/items/{item.pk}/remove/", {}),
        (f"/my/workshops/{slug}/delete/", {}),
    ]:
        assert client.post(url, data).status_code == 404, url
    assert (
        Workshop.objects.get(pk=workshop.pk).title == DETAILS["title"]
        and WorkshopItem.objects.filter(part__workshop=workshop).count() == 1
    )
    assert slug not in client.get("/my/workshops/").content.decode()
    client.logout()
    assert client.get(f"/workshops/{slug}/").status_code == 404
    assert slug not in client.get("/workshops/").content.decode()  # the public list is the curated one


def test_copy_a_curated_workshop_to_start_from(client, site, trainer):
    curated = Workshop.objects.get(slug="morning")
    page = client.get("/workshops/morning/").content.decode()
    assert 'href="/my/workshops/copy/morning/"' in page and "Copy to my workshops" in page
    confirm = client.get("/my/workshops/copy/morning/").content.decode()
    assert 'method="post"' in confirm and "csrfmiddlewaretoken" in confirm
    response = post(client, "/my/workshops/copy/morning/")
    copy = Workshop.objects.get(owner=trainer)
    assert response["Location"] == f"/my/workshops/{copy.slug}/"
    assert (copy.title, copy.source, copy.slug) == (curated.title, "trainer", "ada-containers-in-a-morning")
    assert order(copy) == order(curated)
    assert list(copy.cuts.values_list("name", flat=True)) == ["short"]
    notes = WorkshopItem.objects.filter(part__workshop=copy, pattern__slug="pattern-0").get().notes_html
    assert notes == "<p>Ask the <strong>room</strong>.</p>"
    # The copy is the trainer's to change; the original is untouched.
    post(client, f"/my/workshops/{copy.slug}/items/{copy.parts.first().items.first().pk}/remove/")
    assert order(curated) == [["pattern-0", "pattern-1"], ["pattern-2"]]
    assert "Edit this workshop" in client.get(copy.get_absolute_url()).content.decode()


def test_the_builder_says_what_would_keep_the_file_from_importing(client, site, trainer):
    post(client, "/my/workshops/copy/morning/")
    copy = Workshop.objects.get(owner=trainer)
    html = client.get(f"/my/workshops/{copy.slug}/").content.decode()
    assert "Its file would not import yet" not in html
    part = copy.parts.order_by("position").last()
    post(client, f"/my/workshops/{copy.slug}/items/{part.items.get().pk}/remove/")
    html = client.get(f"/my/workshops/{copy.slug}/").content.decode()
    assert "Its file would not import yet" in html
    assert "<code>parts[1].items</code>: required: a list of items" in html
    post(client, f"/my/workshops/{copy.slug}/parts/{part.pk}/remove/")
    cut = copy.cuts.get()
    post(client, f"/my/workshops/{copy.slug}/cuts/{cut.pk}/remove/")
    assert "Its file would not import yet" not in client.get(f"/my/workshops/{copy.slug}/").content.decode()


def test_delete_a_workshop(client, site, trainer):
    workshop = create(client)
    assert "Delete the workshop" in client.get(f"/my/workshops/{workshop.slug}/delete/").content.decode()
    post(client, f"/my/workshops/{workshop.slug}/delete/")
    assert not Workshop.objects.filter(pk=workshop.pk).exists()


def test_what_a_trainer_types_is_escaped(client, site, trainer):
    workshop = create(client, title="<script>alert(1)</script>")
    add(client, workshop, "pattern-0", notes_markdown="<img src=x onerror=alert(2)>")
    for url in (
        f"/my/workshops/{workshop.slug}/",
        workshop.get_absolute_url(),
        f"/workshops/{workshop.slug}/handout/",
    ):
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "onerror" not in html, url
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html, url


def builder_queries(client, slug: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/my/workshops/{slug}/").status_code == 200
    return len(queries)


def test_the_builder_page_query_count_does_not_grow_with_the_items(client, tmp_path, trainer):
    tree, folder = tmp_path / "patterns", tmp_path / "workshops"
    factories.write_tree(tree, count=30)
    items = [{"pattern": f"pattern-{n}", "minutes": 1, "depth": "core"} for n in range(30)]
    write_workshop(
        folder, data=workshop(duration="10h", parts=[{"title": "All", "items": items[:2]}], cuts=None)
    )
    assert sync_patterns(tree, folder).ok
    post(client, "/my/workshops/copy/morning/")
    small = Workshop.objects.get(owner=trainer)
    few = builder_queries(client, small.slug)

    parts = [{"title": f"Part {n}", "items": items[n * 6 : n * 6 + 6]} for n in range(5)]
    write_workshop(folder, data=workshop(duration="10h", parts=parts, cuts=None))
    assert sync_patterns(tree, folder).ok
    post(client, "/my/workshops/copy/morning/")
    big = Workshop.objects.get(owner=trainer, parts__position=4)
    assert WorkshopItem.objects.filter(part__workshop=big).count() == 30
    assert builder_queries(client, big.slug) <= few


def test_add_a_cut_whose_file_imports_again(client, site, trainer):
    workshop = create(client, duration="2h")
    add(client, workshop, "pattern-0", minutes=30)
    add(client, workshop, "pattern-1", minutes=30, depth="extra")
    add(client, workshop, "pattern-2", minutes=30)
    url = f"/my/workshops/{workshop.slug}/cuts/new/"
    page = client.get(f"/my/workshops/{workshop.slug}/").content.decode()
    assert f'action="{url}"' in page and "Drop the items marked extra" in page

    def refused(data: dict) -> str:
        fields = {"new-cut-title": "Short", "new-cut-duration": "1h", "new-cut-drop_extras": "on", **data}
        sent = {key: value for key, value in fields.items() if value is not None}
        html = post(client, url, sent, status=200).content.decode()
        assert not workshop.cuts.exists()
        return html

    assert "give less than the workshop&#x27;s 2h" in refused({"new-cut-duration": "3h"})
    assert "A cut drops something" in refused({"new-cut-drop_extras": None})
    every = {"new-cut-drop_patterns": ["pattern-0", "pattern-2"]}
    assert "This cut would drop every item: keep at least one." in refused(every)
    assert "the cut&#x27;s name in links is made from its title" in refused({"new-cut-title": "!!"})
    assert 'value="!!"' in refused({"new-cut-title": "!!"})  # what was typed is kept

    fields = {"new-cut-title": "One-hour version", "new-cut-duration": "1h", "new-cut-drop_extras": "on"}
    response = post(client, url, {**fields, "new-cut-drop_patterns": ["pattern-2"]})
    assert response["Location"] == f"/my/workshops/{workshop.slug}/#cuts"
    cut = workshop.cuts.get()
    assert (cut.name, cut.title, cut.duration_minutes) == ("one-hour-version", "One-hour version", 60)
    assert (cut.drop_depths, cut.drop_patterns) == (["extra"], ["pattern-2"])
    again = post(client, url, fields, status=200).content.decode()
    assert "already has a cut named “one-hour-version”" in again
    agenda = client.get(f"{workshop.get_absolute_url()}?cut=one-hour-version").content.decode()
    kept, left_out = agenda.split("Left out of this cut")
    assert "Pattern number 0" in kept and "Pattern number 2" not in kept and "Pattern number 1" not in kept
    assert "Pattern number 1" in left_out and "Pattern number 2" in left_out
    html = client.get(f"/my/workshops/{workshop.slug}/").content.decode()
    assert "Its file would not import yet" not in html  # the cut follows the file's rules
    source, problems = read_upload(client.get(f"/workshops/{workshop.slug}.yaml").content, "mine.yaml")
    assert problems == [] and len(source.cuts) == 1
    assert source.cuts[0] == CutSource("one-hour-version", "One-hour version", 60, ("extra",), ("pattern-2",))
