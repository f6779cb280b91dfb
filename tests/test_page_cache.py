"""Whole-page cache through Django: hits equal misses, nothing personal is shared, bumps invalidate."""

import socket
import uuid

import pytest
import redis
from django.db import connection
from django.http import HttpResponse
from django.test.utils import CaptureQueriesContext
from django.utils.cache import patch_vary_headers

from catalog.content.importer import sync_patterns
from catalog.serving import page_cache
from catalog.serving.page_cache import CACHE_HEADER, PageCacheMiddleware, page_cached
from tests import factories

pytestmark = pytest.mark.django_db

PAGES = ("/", "/patterns/pattern-0/")
PERSONAL = {
    "session": {"cookie": "sessionid=someone"},
    "csrf": {"cookie": "csrftoken=abc"},
    "any cookie": {"cookie": "theme=dark"},
    "credentials": {"authorization": "Basic dXNlcjpwYXNz"},
}


@pytest.fixture(params=[pytest.param("redis", marks=pytest.mark.redis), "file"])
def shared_cache(request, settings, tmp_path_factory):
    """The site's shared cache for real: Redis (a key prefix of its own) or the file cache."""
    if request.param == "file":
        backend = "django.core.cache.backends.filebased.FileBasedCache"
        location = str(tmp_path_factory.mktemp("cache"))  # not under tmp_path: that is the pattern tree
        settings.CACHES = {"default": {"BACKEND": backend, "LOCATION": location}}
        yield
        return
    url = request.getfixturevalue("redis_url")
    prefix = f"test-page-cache-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {
        "default": {
            "BACKEND": "catalog.serving.redis_cache.RedisCache",
            "LOCATION": url,
            "KEY_PREFIX": prefix,
        }
    }
    yield
    # Not cache.clear(): that empties the whole Redis database, the suite's broker included.
    with redis.Redis.from_url(url) as client:
        keys = list(client.scan_iter(f"{prefix}:*"))
        if keys:
            client.delete(*keys)


@pytest.fixture
def patterns(tmp_path):
    factories.write_tree(tmp_path, count=2)
    assert sync_patterns(tmp_path).ok
    return tmp_path


# What every page carries and a cached copy must carry too.
SITE_HEADERS = (
    "Content-Security-Policy",
    "X-Content-Type-Options",
    "Referrer-Policy",
    "Cross-Origin-Opener-Policy",
    "X-Frame-Options",
    "Content-Type",
)


def without_marker(response) -> list[tuple[str, str]]:
    return [(name, value) for name, value in response.items() if name != CACHE_HEADER]


def test_a_hit_is_the_miss_byte_for_byte_and_header_by_header(shared_cache, patterns, client):
    for url in PAGES:
        miss, hit = client.get(url), client.get(url)
        assert (miss[CACHE_HEADER], hit[CACHE_HEADER]) == ("miss", "hit")
        assert hit.status_code == miss.status_code == 200
        assert without_marker(hit) == without_marker(miss)
        assert hit.content == miss.content
        assert int(hit["Content-Length"]) == len(hit.content)
        for header in SITE_HEADERS:
            assert hit.has_header(header), header


def test_head_gets_the_headers_of_get_without_the_body(shared_cache, patterns, client):
    get = client.get("/")
    head = client.head("/")
    assert head[CACHE_HEADER] == "hit"
    assert without_marker(head) == without_marker(get)
    assert head.content == b""


def test_second_visit_is_served_without_sql(patterns, client):
    first = client.get("/patterns/pattern-0/")
    assert first[CACHE_HEADER] == "miss"
    with CaptureQueriesContext(connection) as queries:
        second = client.get("/patterns/pattern-0/")
    assert second[CACHE_HEADER] == "hit"
    assert len(queries) == 0
    assert second.content == first.content


@pytest.mark.parametrize("headers", PERSONAL.values(), ids=PERSONAL.keys())
def test_requests_with_personal_state_are_neither_served_nor_stored(shared_cache, patterns, client, headers):
    assert CACHE_HEADER not in client.get("/", headers=headers)
    client.cookies.clear()  # a browser drops the expired cookie that Django's answer may have set
    assert client.get("/")[CACHE_HEADER] == "miss"  # the personal request stored nothing
    assert CACHE_HEADER not in client.get("/", headers=headers)  # nor is it served the shared page


def test_only_get_and_head_are_shared(patterns, client):
    client.get("/")
    assert CACHE_HEADER not in client.post("/")
    assert CACHE_HEADER not in client.options("/")


def test_a_page_is_shared_only_with_requests_for_the_same_host(patterns, client):
    assert client.get("/", headers={"host": "localhost"})[CACHE_HEADER] == "miss"
    assert client.get("/", headers={"host": "127.0.0.1"})[CACHE_HEADER] == "miss"
    assert client.get("/", headers={"host": "evil.example"}).status_code == 400


def test_responses_that_set_a_cookie_or_vary_are_not_stored(shared_cache, rf):
    @page_cached
    def sets_a_cookie(request):
        response = HttpResponse("yours")
        response.set_cookie("seen", "1")
        return response

    @page_cached
    def varies_on_cookie(request):
        response = HttpResponse("yours")
        patch_vary_headers(response, ["Cookie"])
        return response

    for view in (sets_a_cookie, varies_on_cookie):
        middleware = PageCacheMiddleware(view)
        responses = [middleware(rf.get(f"/{view.__name__}/")) for _ in range(2)]
        assert [CACHE_HEADER in response for response in responses] == [False, False]


def test_sync_that_changes_content_invalidates_pages(
    shared_cache, patterns, client, django_capture_on_commit_callbacks
):
    assert b"Summary of pattern-0." in client.get("/patterns/pattern-0/").content
    meta = factories.front_matter("pattern-0", symbol="Paa", summary="A brand new summary.")
    factories.write_pattern(patterns, "pattern-0", meta=meta)
    with django_capture_on_commit_callbacks(execute=True):
        assert sync_patterns(patterns).updated == 1
    response = client.get("/patterns/pattern-0/")
    assert response[CACHE_HEADER] == "miss"
    assert b"A brand new summary." in response.content


def test_unchanged_sync_keeps_the_cache(patterns, client, django_capture_on_commit_callbacks):
    client.get("/")
    with django_capture_on_commit_callbacks(execute=True):
        sync_patterns(patterns)
    assert client.get("/")[CACHE_HEADER] == "hit"


def test_the_bumping_process_sees_its_bump_at_once(shared_cache, settings):
    settings.PAGE_CACHE_POLL_SECONDS = 3600
    before = page_cache.recent_generation()
    page_cache.bump_generation()
    assert page_cache.recent_generation() == page_cache.current_generation() != before


def test_failed_responses_are_not_shared(patterns, client):
    for _ in range(2):
        response = client.get("/patterns/nope/")
        assert response.status_code == 404
        assert CACHE_HEADER not in response


def test_pages_are_served_uncached_while_the_shared_cache_is_down(settings, client, patterns):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "catalog.serving.redis_cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
        }
    }
    settings.DEBUG = False
    for _ in range(2):
        response = client.get("/")
        assert response.status_code == 200 and CACHE_HEADER not in response
        assert b"Pattern number 0" in response.content


@pytest.mark.parametrize("step", ["cached_page", "store_page"])
def test_a_shared_cache_lost_in_the_middle_of_a_request_still_serves_the_page(
    settings, client, patterns, shared_cache, monkeypatch, step
):
    """The generation was read, then Redis went away (a restart) before the lookup or the store.

    Stand-in: the step raises the error redis-py raises on a closed server, since a real
    restart cannot be timed between two calls of one request from a test (the fault suite
    restarts Redis for real while pages are served).
    """

    def redis_gone(*args, **kwargs):
        raise redis.ConnectionError("Error 111 connecting to 127.0.0.1:6390. Connection refused.")

    monkeypatch.setattr(page_cache, step, redis_gone)
    settings.DEBUG = False
    response = client.get("/patterns/pattern-0/")
    assert response.status_code == 200 and CACHE_HEADER not in response
    assert b"Pattern number 0" in response.content
