"""Whole-page cache: a second visit makes no SQL query; a sync that changes content invalidates it."""

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.content.importer import sync_patterns
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


def test_second_visit_is_served_without_sql(tmp_path, client, django_capture_on_commit_callbacks):
    factories.write_tree(tmp_path, count=2)
    sync_patterns(tmp_path)
    first = client.get("/patterns/pattern-0/")
    assert first["X-Page-Cache"] == "miss"
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/patterns/pattern-0/")
    assert second["X-Page-Cache"] == "hit"
    assert len(queries) == 0
    assert second.content == first.content


def test_sync_that_changes_content_invalidates_pages(tmp_path, client, django_capture_on_commit_callbacks):
    factories.write_tree(tmp_path, count=2)
    sync_patterns(tmp_path)
    assert b"Summary of pattern-0." in client.get("/patterns/pattern-0/").content
    meta = factories.front_matter("pattern-0", symbol="Paa", summary="A brand new summary.")
    factories.write_pattern(tmp_path, "pattern-0", meta=meta)
    with django_capture_on_commit_callbacks(execute=True):
        assert sync_patterns(tmp_path).updated == 1
    response = client.get("/patterns/pattern-0/")
    assert response["X-Page-Cache"] == "miss"
    assert b"A brand new summary." in response.content


def test_unchanged_sync_keeps_the_cache(tmp_path, client, django_capture_on_commit_callbacks):
    factories.write_tree(tmp_path, count=2)
    sync_patterns(tmp_path)
    client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        sync_patterns(tmp_path)
    assert client.get("/")["X-Page-Cache"] == "hit"


def test_personal_and_failed_responses_are_not_shared(tmp_path, client):
    factories.write_tree(tmp_path, count=1)
    sync_patterns(tmp_path)
    client.cookies["sessionid"] = "someone"
    assert "X-Page-Cache" not in client.get("/")
    del client.cookies["sessionid"]
    assert client.get("/patterns/nope/").status_code == 404
    assert "X-Page-Cache" not in client.get("/patterns/nope/")
