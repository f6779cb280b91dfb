"""Freeze for the event: the exact files kept, what changed in the catalog since, who may, unfreezing."""

import hashlib
import shutil

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.content.importer import sync_patterns
from catalog.models import Workshop
from catalog.workshops.freeze import frozen_files
from catalog.workshops.freeze_models import WorkshopFreeze
from tests import factories
from tests.workshop_files import add_example, synced_site, write_workshop
from tests.workshop_files import workshop as workshop_data

pytestmark = pytest.mark.django_db

URL = "/workshops/morning/"
FREEZE, UNFREEZE = "/workshops/morning/freeze/", "/workshops/morning/unfreeze/"
PASSWORD = "a long enough password"


@pytest.fixture
def site(tmp_path):
    return synced_site(tmp_path)


@pytest.fixture
def staff(client):
    user = get_user_model().objects.create_user("grace", password=PASSWORD, is_staff=True)
    client.force_login(user)
    return user


def test_freezing_keeps_every_items_files(client, site, staff):
    response = client.post(FREEZE)
    assert response.status_code == 302 and response["Location"] == f"{URL}#freeze"
    freeze = WorkshopFreeze.objects.get()
    assert freeze.frozen_by == staff
    files = frozen_files(Workshop.objects.get())
    assert list(files) == [("pattern-0", "hello"), ("pattern-1", "hello"), ("pattern-2", "hello")]
    paths = {path: (content, executable) for path, content, executable in files[("pattern-0", "hello")]}
    assert set(paths) == {"example.yaml", "Dockerfile", "hello.sh"}
    assert paths["hello.sh"] == (factories.SCRIPT.encode(), True)
    assert paths["Dockerfile"] == (factories.DOCKERFILE.encode(), False)
    stored = freeze.examples.get(pattern_slug="pattern-0").files.get(path="hello.sh")
    assert stored.sha256 == hashlib.sha256(factories.SCRIPT.encode()).hexdigest()
    html = client.get(URL).content.decode()
    assert (
        f'Frozen on <time datetime="{freeze.frozen_at.isoformat()}">{timezone.now():%-d %b %Y}</time>' in html
    )
    assert "Nothing changed in the catalog since." in html


def test_the_page_says_what_changed_in_the_catalog_since(client, site, staff):
    tree, folder = site
    client.post(FREEZE)
    (tree / "pattern-0" / "examples" / "hello" / "hello.sh").write_text("#!/bin/sh\necho hello, changed\n")
    (tree / "pattern-1" / "examples" / "hello" / "notes.txt").write_text("for the room\n")
    assert sync_patterns(tree, folder).ok
    html = client.get(URL).content.decode()
    assert "Changed since the freeze:" in html
    assert "<code>pattern-0/hello</code>: changed hello.sh" in html
    assert "<code>pattern-1/hello</code>: added notes.txt" in html
    assert "pattern-2/hello</code>:" not in html
    # The kit still gets the files as frozen.
    frozen = dict(
        (path, content) for path, content, _ in frozen_files(Workshop.objects.get())[("pattern-0", "hello")]
    )
    assert frozen["hello.sh"] == factories.SCRIPT.encode()


def test_an_example_removed_from_the_catalog_is_said(client, site, staff):
    tree, folder = site
    add_example(tree, "pattern-0", "second")
    assert sync_patterns(tree, folder).ok
    client.post(FREEZE)
    assert len(frozen_files(Workshop.objects.get())) == 4  # the item shows both examples of pattern-0
    shutil.rmtree(tree / "pattern-0" / "examples" / "second")
    assert sync_patterns(tree, folder).ok
    assert "<code>pattern-0/second</code>: removed from the catalog" in client.get(URL).content.decode()


def test_unfreeze(client, site, staff):
    client.post(FREEZE)
    assert client.post(UNFREEZE).status_code == 302
    assert frozen_files(Workshop.objects.get()) is None
    html = client.get(URL).content.decode()
    assert "Frozen on" not in html and "Freeze for this event</button>" in html


def test_who_may_freeze(client, site):
    response = client.post(FREEZE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    trainer = get_user_model().objects.create_user("ada", password=PASSWORD)
    client.force_login(trainer)
    # A curated workshop's freeze decides every visitor's kit: the catalog's staff only.
    assert client.post(FREEZE).status_code == 403
    assert client.get(FREEZE).status_code == 403
    own = Workshop.objects.create(
        slug="adas",
        title="Ada's",
        summary="s",
        audience="a",
        duration_minutes=60,
        source="trainer",
        owner=trainer,
    )
    assert client.get("/workshops/adas/freeze/").status_code == 200
    assert client.post("/workshops/adas/freeze/").status_code == 302
    assert WorkshopFreeze.objects.get().workshop == own
    client.force_login(get_user_model().objects.create_user("bob", password=PASSWORD))
    assert client.post("/workshops/adas/unfreeze/").status_code == 404  # not even shown to others
    assert WorkshopFreeze.objects.filter(workshop=own).exists()


def test_the_slides_and_handout_show_the_examples_as_frozen(client, site, staff):
    tree, folder = site
    client.post(FREEZE)
    folder_0 = tree / "pattern-0" / "examples" / "hello"
    # One token each, so that the highlighting does not split them.
    (folder_0 / "Dockerfile").write_text(factories.DOCKERFILE + "LABEL moved=LABEL_AFTER_THE_FREEZE\n")
    (folder_0 / "hello.sh").write_text("#!/bin/sh\necho SCRIPT_AFTER_THE_FREEZE\n")
    assert sync_patterns(tree, folder).ok
    slides = client.get("/workshops/morning/slides/").content.decode()
    handout = client.get("/workshops/morning/handout/").content.decode()
    for html in (slides, handout):
        assert "as they were frozen for this event" in html
        assert "LABEL_AFTER_THE_FREEZE" not in html and "SCRIPT_AFTER_THE_FREEZE" not in html
    assert "</span>from<span" in handout  # the frozen script: echo hello from the example, highlighted
    assert "/hello.sh" in slides  # the frozen Dockerfile's lines
    # Unfrozen, the same pages show the catalog as it is.
    client.post(UNFREEZE)
    slides = client.get("/workshops/morning/slides/").content.decode()
    handout = client.get("/workshops/morning/handout/").content.decode()
    assert "LABEL_AFTER_THE_FREEZE" in slides and "SCRIPT_AFTER_THE_FREEZE" in handout
    assert "frozen for this event" not in slides + handout


def test_an_item_added_since_the_freeze_is_said(client, site, staff):
    tree, folder = site
    first = workshop_data()
    first["parts"][1]["items"] = [{"pattern": "pattern-1", "minutes": 10, "depth": "core"}]
    first["parts"][0]["items"] = first["parts"][0]["items"][:1]
    write_workshop(folder, data=first)
    assert sync_patterns(tree, folder).ok
    client.post(FREEZE)
    write_workshop(folder, data=workshop_data())  # pattern-2 comes back: an item the freeze lacks
    assert sync_patterns(tree, folder).ok
    html = client.get(URL).content.decode()
    assert "<code>pattern-2/hello</code>: added to the workshop since the freeze, so not frozen" in html
    assert "pattern-0/hello</code>:" not in html
