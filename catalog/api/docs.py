"""The API's page: each endpoint with its parameters and an example answer, made from the catalog as it is.

The examples are the endpoints' real answers for this catalog, built by the same functions at
the time the page is rendered (and abridged the same way every time), so they cannot go stale.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse

from catalog.api import layer_files, patterns
from catalog.api.headers import encoded
from catalog.api.openapi import ENDPOINTS, Endpoint
from catalog.models import ImageLayers, Pattern, Verification
from catalog.verifications.layer_report import CHANGE_LABELS, REASONS

ITEMS = 2  # list items, and entries of the maps below, an example keeps
CHARS = 200  # characters of a text an example keeps
MAPS = ("images", "size_history", "paths", "schemas", "properties")  # objects whose keys are names


@dataclass(frozen=True)
class EndpointDoc:
    endpoint: Endpoint
    url: str  # the example request, "" when the catalog has nothing to show for it yet
    example: str  # its answer, abridged, as indented JSON


@dataclass(frozen=True)
class Subjects:
    """What the examples are about: a pattern, and a kept layer of one of its verifications."""

    pattern: str
    layer: tuple[int, str, int] | None  # (verification, image, layer)


def page_context(request: HttpRequest, document: dict) -> dict:
    subjects = example_subjects()
    docs = [endpoint_doc(request, endpoint, subjects, document) for endpoint in ENDPOINTS]
    return {
        "endpoints": docs,
        "openapi_url": reverse("catalog:api-v1-openapi"),
        "version": document["info"]["version"],
        "description": document["info"]["description"],
        "items": ITEMS,
        "chars": CHARS,
        "reasons": REASONS,
        "change_labels": CHANGE_LABELS,
    }


def example_subjects() -> Subjects:
    """The pattern of the newest passed verification whose layers are kept, else the table's first."""
    kept = (
        ImageLayers.objects.filter(
            verification__state=Verification.State.PASSED, verification__example__pattern__published=True
        )
        .defer("analysis")
        .select_related("verification__example__pattern")
        .order_by("-verification__finished_at", "-pk")
        .first()
    )
    if kept is None:
        first = Pattern.objects.for_table().only("slug").first()
        return Subjects(first.slug if first else "", None)
    verification = kept.verification
    return Subjects(
        verification.example.pattern.slug,
        (verification.pk, kept.image_name, telling_layer(verification, kept)),
    )


def telling_layer(verification: Verification, kept: ImageLayers) -> int:
    """The first layer of the Dockerfile's own that changed files, else the first that did."""
    summary = verification.report.analysis.get(kept.image_name) if verification.report else None
    layers = summary.layers if summary else ()
    with_files = [layer for layer in layers if layer.files]
    chosen = [layer for layer in with_files if not layer.base] or with_files
    return chosen[0].index if chosen else 0


def endpoint_doc(request: HttpRequest, endpoint: Endpoint, subjects: Subjects, document: dict) -> EndpointDoc:
    data: Any = None
    args: list = []
    if endpoint.name == "api-v1-pattern-list":
        data = patterns.pattern_list(request, {})
    elif endpoint.name == "api-v1-pattern-detail" and subjects.pattern:
        args = [subjects.pattern]
        data = patterns.pattern_detail(request, subjects.pattern)
    elif endpoint.name == "api-v1-layer-files" and subjects.layer:
        args = list(subjects.layer)
        data = layer_files.layer_files(request, *subjects.layer, page=None)
    elif endpoint.name == "api-v1-openapi":
        data = document
    if data is None:
        return EndpointDoc(endpoint, "", "")
    example = abridged(json.loads(encoded(data)))
    url = request.build_absolute_uri(reverse(f"catalog:{endpoint.name}", args=args))
    return EndpointDoc(endpoint, url, json.dumps(example, indent=2, ensure_ascii=False))


def abridged(value: Any, key: str = "") -> Any:
    """Lists and name maps cut to ITEMS entries, texts to CHARS characters; the rest as it is."""
    if isinstance(value, dict):
        entries = list(value.items())
        if key in MAPS:
            entries = entries[:ITEMS]
        return {name: abridged(item, name) for name, item in entries}
    if isinstance(value, list):
        return [abridged(item) for item in value[:ITEMS]]
    if isinstance(value, str) and len(value) > CHARS:
        return value[:CHARS] + "…"
    return value
