"""Whole-page cache for anonymous GETs, invalidated at once by bumping a catalog generation.

Sync and verification results bump the generation; every cached page of the old
generation is then simply never looked up again. Pages live in the shared cache and,
once served, in a small memo of each process under the same key, so a hit costs one
shared-cache read (the generation), no unpickling and no SQL.
"""

import functools
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

GENERATION_KEY = "catalog:generation"
CACHE_HEADER = "X-Page-Cache"
LOCAL_PAGES_MAX = 256

# (expiry time, status, headers, body): plain data, cheap to unpickle and safe to share
# between threads, unlike a response object. The memo's keys carry the generation, so a
# bump by any process still invalidates every process at once.
Page = tuple[float, int, list[tuple[str, str]], bytes]
_local_pages: dict[str, Page] = {}


def current_generation() -> str:
    generation = cache.get(GENERATION_KEY)
    if generation is None:
        generation = uuid.uuid4().hex
        cache.add(GENERATION_KEY, generation, timeout=None)
        generation = cache.get(GENERATION_KEY, generation)
    return generation


def bump_generation() -> None:
    cache.set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)


def cacheable(request: HttpRequest) -> bool:
    # Pages that carry a session or a CSRF form are personal; never share them.
    return request.method in ("GET", "HEAD") and settings.SESSION_COOKIE_NAME not in request.COOKIES


def cached_page(key: str) -> Page | None:
    page = _local_pages.get(key)
    if page is None:
        page = cache.get(key)
        if page is None:
            return None
        remember(key, page)
    return page if page[0] > time.time() else None


def remember(key: str, page: Page) -> None:
    if len(_local_pages) >= LOCAL_PAGES_MAX:
        _local_pages.clear()  # old generations pile up here; starting afresh is cheap
    _local_pages[key] = page


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not cacheable(request):
            return self.get_response(request)
        # "v2" names the tuple layout: pickled responses stored by older code are never read.
        key = f"page:v2:{current_generation()}:{request.get_full_path()}"
        page = cached_page(key)
        if page is not None:
            _, status, headers, body = page
            response = HttpResponse(body, status=status, headers=headers)
            response[CACHE_HEADER] = "hit"
            return response
        response = self.get_response(request)
        if self.storable(response):
            response[CACHE_HEADER] = "miss"
            expires = time.time() + settings.PAGE_CACHE_SECONDS
            page = (expires, response.status_code, list(response.items()), response.content)
            cache.set(key, page, settings.PAGE_CACHE_SECONDS)
            remember(key, page)
        return response

    @staticmethod
    def storable(response: HttpResponse) -> bool:
        return (
            response.status_code == 200
            and not response.streaming
            and not response.cookies
            and getattr(response, "page_cache", False)
        )


def page_cached(view):
    """Marks a view's successful responses as shareable by every anonymous visitor."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        response = view(request, *args, **kwargs)
        response.page_cache = True
        return response

    return wrapper
