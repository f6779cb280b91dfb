"""Whole-page cache for anonymous GETs, invalidated by bumping a catalog generation in the shared cache.

Sync and verification results bump the generation; every cached page of the old
generation is then simply never looked up again. Pages live in the shared cache and,
once served, in a memo of each process (catalog/serving/page_memo.py, at most MEMO_BYTES).

Two readers: this module's middleware, inside Django, reads the shared generation on
every request, so it is exact. The WSGI front (catalog/serving/page_front.py), which answers
hits before Django builds a request, uses `recent_generation()`: re-read at most every
PAGE_CACHE_POLL_SECONDS (0.25 by default). The bound: a request that reaches a site
process more than PAGE_CACHE_POLL_SECONDS after `bump_generation()` returned, in any
process, never gets a page of an older generation; the bumping process itself sees the
bump at once. Within the bound the old page may still be served. 0 makes the front read
the generation on every request, as the middleware does.
"""

import functools
import hashlib
import logging
import sys
import time
import uuid
from collections.abc import Mapping

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

from catalog.serving.page_memo import CACHE_HEADER, Page, PageMemo

log = logging.getLogger(__name__)
GENERATION_KEY = "catalog:generation"
BUMP_TRIES, BUMP_RETRY_SECONDS = 20, 0.5
MEMO_BYTES = 32 * 1024 * 1024
SHARED_METHODS = ("GET", "HEAD")

memo = PageMemo(MEMO_BYTES)
# (generation, time.monotonic() when its read began), replaced as one tuple so that threads
# never see a new time with an old generation.
_polled: tuple[str, float] = ("", float("-inf"))


def current_generation() -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        cache.add(GENERATION_KEY, generation, timeout=None)
        generation = cache.get(GENERATION_KEY, generation)
    return generation


def recent_generation() -> str:
    """The shared generation as read at most PAGE_CACHE_POLL_SECONDS ago."""
    global _polled
    generation, read_at = _polled
    started = time.monotonic()
    if started - read_at < settings.PAGE_CACHE_POLL_SECONDS:
        return generation
    # The time stored is when the read began: a read that began after a bump saw it.
    generation = current_generation()
    _polled = (generation, started)
    return generation


def bump_generation() -> None:
    """A new generation; while the shared cache is away (a Redis restart) it is tried again for a while.

    Giving up only logs: the change is already recorded, and a page cached before it may then be
    served until it expires (PAGE_CACHE_SECONDS), which is better than failing the caller.
    """
    global _polled
    generation = uuid.uuid4().hex
    for attempt in range(BUMP_TRIES):
        try:
            cache.set(GENERATION_KEY, generation, timeout=None)
            break
        except Exception:  # each backend has its own errors (redis ConnectionError, OSError...)
            if attempt == BUMP_TRIES - 1:
                log.exception("could not bump the page generation; cached pages may be stale")
                return
            time.sleep(BUMP_RETRY_SECONDS)
    _polled = (generation, time.monotonic())


def shareable_request(meta: Mapping[str, object]) -> bool:
    """A GET or HEAD with no personal state: no cookie at all (session, CSRF or other), no credentials.

    `meta` is the WSGI environ (request.META in Django). An empty Cookie header carries nothing;
    Django's test client sends one on every request.
    """
    return (
        meta.get("REQUEST_METHOD") in SHARED_METHODS
        and not meta.get("HTTP_COOKIE")
        and not meta.get("HTTP_AUTHORIZATION")
    )


def page_key(meta: Mapping[str, str]) -> str:
    # Scheme and host are part of it: a page is only ever shared with requests for the same
    # site, so an unknown Host never gets a hit and reaches Django's ALLOWED_HOSTS check.
    return (
        f"{meta.get('wsgi.url_scheme', 'http')}://{meta.get('HTTP_HOST', '')}"
        f"{meta.get('SCRIPT_NAME', '')}{meta.get('PATH_INFO', '')}?{meta.get('QUERY_STRING', '')}"
    )


def storable(response: HttpResponse) -> bool:
    """A complete 200 that the view marked as shared, and nothing in it says it is personal."""
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not response.has_header("Vary")  # the key holds no request header it could vary on
        and getattr(response, "page_cache", False)
    )


def shared_cache_key(generation: str, key: str) -> str:
    # Hashed: a path may hold characters or a length that cache backends warn about.
    # "v3" names the layout (key with scheme and host); older entries are never read.
    return f"page:v3:{generation}:{hashlib.sha256(key.encode()).hexdigest()}"


def cached_page(generation: str, key: str) -> Page | None:
    page = memo.get(generation, key)
    if page is None:
        stored = cache.get(shared_cache_key(generation, key))
        if stored is None:
            return None
        # (expiry time, status, headers, body): plain data, cheap to unpickle.
        page = Page.build(*stored)
        if not page.fresh():
            return None
        memo.put(generation, key, page)
    return page


def store_page(generation: str, key: str, response: HttpResponse) -> None:
    expires = time.time() + settings.PAGE_CACHE_SECONDS
    stored = (expires, response.status_code, list(response.items()), response.content)
    cache.set(shared_cache_key(generation, key), stored, settings.PAGE_CACHE_SECONDS)
    memo.put(generation, key, Page.build(*stored))


class PageCacheMiddleware:
    """Near the top of MIDDLEWARE: what it stores is the response exactly as Django sends it.

    Only the API's header middleware (catalog/api/headers.py) is outside it, so that a stored
    answer a client already holds is still turned into a 304.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not shareable_request(request.META):
            return self.get_response(request)
        # Read before the view runs: a bump during the render files the page under the old generation.
        try:
            generation = current_generation()
            key = page_key(request.META)
            page = cached_page(generation, key)
        except Exception:  # the shared cache is away (a Redis restart): serve the page uncached
            _unavailable(request)
            return self.get_response(request)
        if page is not None:
            response = HttpResponse(page.body, status=page.status, headers=page.headers)
            response[CACHE_HEADER] = "hit"
            return response
        response = self.get_response(request)
        if storable(response):
            try:
                store_page(generation, key, response)
            except Exception:  # gone between the lookup and the store: the page is still good
                _unavailable(request)
                return response
            response[CACHE_HEADER] = "miss"
        return response


def _unavailable(request: HttpRequest) -> None:
    log.warning("page cache unavailable, %s served uncached: %s", request.path, sys.exc_info()[1])


def page_cached(view):
    """Marks a view's successful responses as shareable by every anonymous visitor."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.page_cache = True
        return response

    return wrapper
