"""The JSON API's views: /api/v1/ (and the paths from before it, answering alike) and the API's page."""

from __future__ import annotations

import functools

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from catalog.api import docs, patterns
from catalog.api import layer_files as files
from catalog.api import types as out
from catalog.api.headers import api_response
from catalog.api.openapi import openapi_document
from catalog.serving.page_cache import page_cached


@require_safe
@page_cached
def pattern_list(request: HttpRequest) -> HttpResponse:
    try:
        return api_response(patterns.pattern_list(request, request.GET))
    except patterns.FilterError as error:
        return api_response(error.problem, status=400)


@require_safe
@page_cached
def pattern_detail(request: HttpRequest, slug: str) -> HttpResponse:
    try:
        return api_response(patterns.pattern_detail(request, slug))
    except Http404:
        return api_response(out.Problem(f"no published pattern is named {slug!r}"), status=404)


@require_safe
@page_cached
def layer_files(request: HttpRequest, pk: int, image: str, layer: int) -> HttpResponse:
    try:
        return api_response(files.layer_files(request, pk, image, layer, request.GET.get("page")))
    except Http404:
        return api_response(
            out.Problem(f"no layer {layer} of image {image!r} is kept for verification {pk}"), 404
        )
    except files.PageError as error:
        return api_response(out.Problem(str(error), parameter="page"), status=400)


@require_safe
@page_cached
def openapi(request: HttpRequest) -> HttpResponse:
    return api_response(document())


@functools.cache
def document() -> dict:
    """Made once per process: it depends on the types alone."""
    return openapi_document()


@require_safe
@page_cached
def api_page(request: HttpRequest) -> HttpResponse:
    return render(request, "catalog/api.html", docs.page_context(request, document()))
