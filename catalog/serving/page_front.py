"""The site's WSGI front: answers page-cache hits from the process's memo before Django sees them.

A hit here builds no HttpRequest, runs no middleware and touches neither the database nor,
except for the polled generation (see catalog/serving/page_cache.py for its bound), the shared
cache. Everything else, misses included, goes to Django, whose PageCacheMiddleware fills
the memo: the rules for what may be shared and under which key live there, once. So do
conditional requests (If-None-Match, If-Modified-Since): the API's middleware answers them
with a 304 when they still hold (catalog/api/headers.py).
"""

from collections.abc import Callable, Iterable

from catalog.serving import page_cache
from catalog.serving.page_memo import Page

WSGIApplication = Callable[[dict, Callable], Iterable[bytes]]


class PageFront:
    def __init__(self, application: WSGIApplication) -> None:
        self.application = application

    def __call__(self, environ: dict, start_response: Callable) -> Iterable[bytes]:
        if page_cache.shareable_request(environ) and not conditional(environ):
            page = self.hit(environ)
            if page is not None:
                # A copy, since a server may add to the list it is given.
                start_response(page.status_line, list(page.hit_headers))
                return [] if environ["REQUEST_METHOD"] == "HEAD" else [page.body]
        return self.application(environ, start_response)

    @staticmethod
    def hit(environ: dict) -> Page | None:
        try:
            generation = page_cache.recent_generation()
        except Exception:
            # The shared cache is out of reach: Django's middleware meets the same error
            # and serves the page uncached.
            return None
        return page_cache.memo.get(generation, page_cache.page_key(environ))


def conditional(environ: dict) -> bool:
    return "HTTP_IF_NONE_MATCH" in environ or "HTTP_IF_MODIFIED_SINCE" in environ
