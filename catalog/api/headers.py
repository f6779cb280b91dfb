"""HTTP for the API: an ETag and Last-Modified on every answer, 304 when unchanged, CORS for reading.

A view's answer gets its body and validators here (`api_response`); the middleware, first in
MIDDLEWARE, turns a 200 whose validators the request already holds into a 304 and answers
preflights. It sits outside the page cache, so a page served from the cache is answered alike;
the WSGI front (catalog/serving/page_front.py) leaves conditional requests to Django for this.

The ETag is the body's hash. Last-Modified is when that exact body was first served, kept in the
shared cache: exact while the cache keeps it, and later (never earlier) than the truth when it
was lost, so a client is at worst sent a body it already had, never told a new one is old.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from django.core.cache import cache
from django.core.serializers.json import DjangoJSONEncoder
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, parse_http_date_safe, quote_etag

from worker.contract.codec import to_json

PREFIX = "/api/"
READ_METHODS = "GET, HEAD, OPTIONS"
# Anyone may read from anywhere; no credentials are ever involved, so `*` is safe.
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Expose-Headers": "ETag, Last-Modified"}
PREFLIGHT = {
    "Access-Control-Allow-Methods": READ_METHODS,
    "Access-Control-Allow-Headers": "If-None-Match, If-Modified-Since",
    "Access-Control-Max-Age": "86400",
}
FIRST_SEEN_SECONDS = 30 * 86400


def api_response(data: Any, status: int = 200) -> HttpResponse:
    """API types (or plain data) as a JSON answer with its validators and CORS headers."""
    body = encoded(data)
    response = HttpResponse(body, status=status, content_type="application/json")
    etag = quote_etag(hashlib.sha256(body).hexdigest()[:32])
    response["ETag"] = etag
    response["Last-Modified"] = http_date(first_seen(etag))
    response["Cache-Control"] = "no-cache"  # keep it, but ask again (with If-None-Match) before using it
    for name, value in CORS.items():
        response[name] = value
    return response


def encoded(data: Any) -> bytes:
    """The body of an answer: datetimes as ISO 8601, as Django's JsonResponse writes them."""
    return json.dumps(to_json(data), cls=DjangoJSONEncoder).encode()


def first_seen(etag: str) -> float:
    key = f"api:first-seen:{etag}"
    now = time.time()
    try:
        cache.add(key, now, FIRST_SEEN_SECONDS)
        return cache.get(key, now)
    except Exception:  # each backend has its own errors; the shared cache being away is no failure
        return now


class ApiHeadersMiddleware:
    """304 for a 200 the client already has, 204 for a CORS preflight, CORS on every API answer."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not request.path_info.startswith(PREFIX):
            return self.get_response(request)
        if request.method == "OPTIONS":
            response = HttpResponse(status=204)
            for name, value in {"Allow": READ_METHODS, **CORS, **PREFLIGHT}.items():
                response[name] = value
            return response
        response = self.get_response(request)
        if request.method in ("GET", "HEAD") and response.status_code == 200 and response.has_header("ETag"):
            modified = parse_http_date_safe(response.get("Last-Modified", ""))
            response = get_conditional_response(
                request, etag=response["ETag"], last_modified=modified, response=response
            )
        for name, value in CORS.items():
            response.headers.setdefault(name, value)
        return response
