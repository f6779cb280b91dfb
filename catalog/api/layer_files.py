"""A layer's changed paths a page at a time: the list the page's file tree folds into folders."""

from __future__ import annotations

import math

from django.http import HttpRequest
from django.urls import reverse

from catalog.api import types as out
from catalog.verifications.layer_files import stored_layer

PER_PAGE = 200


class PageError(ValueError):
    """A page number that is not one."""


def layer_files(request: HttpRequest, pk: int, image: str, layer: int, page: str | None) -> out.LayerFiles:
    """Raises Http404 when the layer is not kept, PageError for a page that is not 1 to the last."""
    shown = stored_layer(pk, image, layer)
    pages = max(1, math.ceil(len(shown.changes) / PER_PAGE))
    number = page_number(page, pages)
    start = (number - 1) * PER_PAGE

    here = request.build_absolute_uri(reverse("catalog:api-v1-layer-files", args=[pk, image, layer]))

    def link(to: int) -> str | None:
        return f"{here}?page={to}" if 1 <= to <= pages else None

    return out.LayerFiles(
        api_version=out.API_VERSION,
        verification=pk,
        image=image,
        layer=layer,
        instruction=shown.instruction,
        created_by=shown.created_by,
        totals=shown.totals,
        changes_truncated=shown.changes_truncated,
        changes_cap=shown.changes_cap,
        count=len(shown.changes),
        page=number,
        pages=pages,
        per_page=PER_PAGE,
        previous=link(number - 1),
        next=link(number + 1),
        changes=shown.changes[start : start + PER_PAGE],
    )


def page_number(page: str | None, pages: int) -> int:
    if page is None:
        return 1
    if not page.isdigit() or not 1 <= int(page) <= pages:
        raise PageError(f"page {page!r} is not a page of this list: 1 to {pages}")
    return int(page)
