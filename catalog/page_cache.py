"""Whole-page cache for anonymous GETs, invalidated at once by bumping a catalog generation.

Sync and (later) verification results bump the generation; every cached page of
the old generation is then simply never looked up again. A hit costs one cache
read for the generation and one for the page, and no SQL.
"""

import functools
import uuid

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse

GENERATION_KEY = "catalog:generation"
CACHE_HEADER = "X-Page-Cache"


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


class PageCacheMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not cacheable(request):
            return self.get_response(request)
        key = f"page:{current_generation()}:{request.get_full_path()}"
        cached = cache.get(key)
        if cached is not None:
            cached[CACHE_HEADER] = "hit"
            return cached
        response = self.get_response(request)
        if self.storable(response):
            response[CACHE_HEADER] = "miss"
            cache.set(key, response, settings.PAGE_CACHE_SECONDS)
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
