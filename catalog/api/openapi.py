"""The API's endpoints, described once: the OpenAPI 3.1 document and the API page are both made from them."""

from __future__ import annotations

from dataclasses import dataclass, field

from catalog import models
from catalog.api import types as out
from catalog.api.layer_files import PER_PAGE
from catalog.api.schema import Components

OPENAPI_VERSION = "3.1.0"
DESCRIPTION = (
    "Read-only JSON of the Container Patterns Catalog: every pattern, its examples, and everything "
    "their verifications proved on a real Docker engine (checks, builds and the cache, image facts, "
    "layer analysis, lint findings, comparisons, commands).\n\n"
    "Stability: version 1 only grows. A field may be added; none is renamed, retyped or removed "
    "within /api/v1/, and every field is always present (null where its schema allows). A change "
    "that would break a client gets new paths (/api/v2/).\n\n"
    "Every answer carries an ETag and a Last-Modified: send them back as If-None-Match or "
    "If-Modified-Since and an unchanged answer is a 304 without a body. Any origin may read "
    "(CORS, no credentials)."
)


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str  # "path" or "query"
    description: str
    schema: dict = field(default_factory=lambda: {"type": "string"})

    @property
    def required(self) -> bool:
        return self.where == "path"

    @property
    def allowed(self) -> tuple[str, ...]:
        return tuple(self.schema.get("enum", ()))


@dataclass(frozen=True)
class Endpoint:
    name: str  # the URL's name in the `catalog` namespace
    path: str  # as OpenAPI writes it, {name} for a path parameter
    summary: str
    description: str
    response: type | None  # None: the OpenAPI document itself
    parameters: tuple[Parameter, ...] = ()
    errors: tuple[tuple[int, str], ...] = ()
    same_as: str = ""  # an older path that gives the same answer, kept for its clients


SLUG = Parameter("slug", "path", "The pattern's slug, as in its page's address.")
ENDPOINTS = (
    Endpoint(
        name="api-v1-pattern-list",
        path="/api/v1/patterns.json",
        summary="Published patterns, filtered",
        description="Every published pattern in the periodic table's order, with its badge's state. "
        "Filters combine; a parameter or value the list does not know is refused with a 400 that names "
        "the values it takes.",
        response=out.PatternList,
        parameters=(
            Parameter("category", "query", "Only patterns in this category (a category slug)."),
            Parameter(
                "kind", "query", "Only patterns of this kind.", {"enum": list(models.Pattern.Kind.values)}
            ),
            Parameter(
                "state",
                "query",
                "Only patterns whose badge says this.",
                {"enum": [s.value for s in out.PatternState]},
            ),
        ),
        errors=((400, "An unknown parameter or value"),),
        same_as="/api/patterns.json",
    ),
    Endpoint(
        name="api-v1-pattern-detail",
        path="/api/v1/patterns/{slug}.json",
        summary="One pattern with its examples and their proof",
        description="The pattern, its examples' files, scenarios and commands, and for each example its "
        "newest verification and its newest finished one (the one its page shows) with checks, builds, "
        "image facts and history, the layer analysis with reclaimable bytes and lint findings, "
        "comparisons, before-and-after measurements and the bases used.",
        response=out.PatternDetail,
        parameters=(SLUG,),
        errors=((404, "No published pattern has this slug"),),
        same_as="/api/patterns/{slug}.json",
    ),
    Endpoint(
        name="api-v1-layer-files",
        path="/api/v1/verifications/{verification}/images/{image}/layers/{layer}/files.json",
        summary="The paths one layer changed, a page at a time",
        description=f"The changes the layer analysis kept for one layer ({PER_PAGE} a page, sorted by "
        "path): what the page's file tree shows folder by folder. A layer's `files_url` in a pattern's "
        "detail links here.",
        response=out.LayerFiles,
        parameters=(
            Parameter("verification", "path", "The verification's id.", {"type": "integer"}),
            Parameter("image", "path", "The image's name in the example."),
            Parameter("layer", "path", "The layer's index, from 0.", {"type": "integer"}),
            Parameter("page", "query", "The page, from 1.", {"type": "integer", "minimum": 1}),
        ),
        errors=((400, "A page that is not one"), (404, "No such verification, image or layer kept")),
    ),
    Endpoint(
        name="api-v1-openapi",
        path="/api/v1/openapi.json",
        summary="This description of the API",
        description="The OpenAPI 3.1 document, generated from the types the answers are written from.",
        response=None,
    ),
)


def openapi_document() -> dict:
    components = Components()
    paths = {}
    for endpoint in ENDPOINTS:
        paths[endpoint.path] = {"get": operation(endpoint, components, endpoint.name)}
        if endpoint.same_as:
            old = operation(endpoint, components, f"{endpoint.name}-unversioned")
            old["description"] = f"The same as {endpoint.path}, kept for clients written before /api/v1/."
            paths[endpoint.same_as] = {"get": old}
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "Container Patterns Catalog API",
            "version": out.API_VERSION,
            "description": DESCRIPTION,
        },
        "paths": paths,
        "components": {"schemas": components.schemas, "headers": HEADERS},
    }


def operation(endpoint: Endpoint, components: Components, operation_id: str) -> dict:
    body = components.ref(endpoint.response) if endpoint.response else {"type": "object"}
    responses = {
        "200": {
            "description": endpoint.summary,
            "headers": {name: {"$ref": f"#/components/headers/{name}"} for name in HEADERS},
            "content": {"application/json": {"schema": body}},
        },
        "304": {"description": "Not modified: the ETag or date the request sent still holds"},
    }
    for status, why in endpoint.errors:
        problem = components.ref(out.Problem)
        responses[str(status)] = {"description": why, "content": {"application/json": {"schema": problem}}}
    return {
        "operationId": operation_id,
        "summary": endpoint.summary,
        "description": endpoint.description,
        "parameters": [
            {
                "name": parameter.name,
                "in": parameter.where,
                "required": parameter.required,
                "description": parameter.description,
                "schema": parameter.schema,
            }
            for parameter in endpoint.parameters
        ],
        "responses": responses,
    }


HEADERS = {
    "ETag": {"description": "The body's hash: send it as If-None-Match", "schema": {"type": "string"}},
    "Last-Modified": {
        "description": "When this very body was first served: send it as If-Modified-Since",
        "schema": {"type": "string"},
    },
    "Access-Control-Allow-Origin": {"description": "Any origin may read", "schema": {"type": "string"}},
}
