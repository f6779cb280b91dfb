"""The OpenAPI document is made from the API's types, validates, and refuses what it cannot describe."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields
from datetime import datetime

import pytest
from jsonschema import Draft202012Validator, ValidationError
from openapi_spec_validator import validate

from catalog.api import types as out
from catalog.api.openapi import ENDPOINTS, openapi_document
from catalog.api.schema import Components


class Colour(enum.StrEnum):
    RED = "red"
    BLUE = "blue"


@dataclass(frozen=True)
class Leaf:
    """A leaf of the tree."""

    size: int  # bytes on disk
    ratio: float
    seen: datetime | None


@dataclass(frozen=True)
class Tree:
    name: str = field(metadata={"doc": "what it is called"})
    colour: Colour = Colour.RED
    leaves: tuple[Leaf, ...] = ()
    by_name: dict[str, Leaf] = field(default_factory=dict)
    parent: Tree | None = None  # trees nest


def test_a_dataclass_becomes_a_closed_object_with_every_field_required_and_described():
    components = Components()
    assert components.ref(Tree) == {"$ref": "#/components/schemas/Tree"}
    tree, leaf = components.schemas["Tree"], components.schemas["Leaf"]
    assert tree["required"] == [f.name for f in fields(Tree)] and tree["additionalProperties"] is False
    assert "description" not in tree  # the docstring dataclasses writes is no description
    assert leaf["description"] == "A leaf of the tree."
    assert tree["properties"]["name"] == {"type": "string", "description": "what it is called"}
    assert tree["properties"]["colour"] == {"type": "string", "enum": ["red", "blue"]}
    assert tree["properties"]["leaves"] == {"type": "array", "items": {"$ref": "#/components/schemas/Leaf"}}
    assert tree["properties"]["by_name"]["additionalProperties"] == {"$ref": "#/components/schemas/Leaf"}
    assert tree["properties"]["parent"] == {
        "anyOf": [{"$ref": "#/components/schemas/Tree"}, {"type": "null"}],
        "description": "trees nest",
    }
    assert leaf["properties"]["size"] == {"type": "integer", "description": "bytes on disk"}
    assert leaf["properties"]["seen"] == {
        "anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]
    }


def test_a_type_it_cannot_say_exactly_or_a_second_type_of_one_name_is_refused():
    @dataclass
    class Pair:
        both: tuple[int, str]

    with pytest.raises(TypeError, match="only tuple"):
        Components().ref(Pair)

    @dataclass
    class Odd:
        where: complex

    with pytest.raises(TypeError, match="no schema for"):
        Components().ref(Odd)

    components = Components()
    components.ref(Leaf)
    other = type("Leaf", (), {"__annotations__": {}})
    with pytest.raises(TypeError, match="two API types are named Leaf"):
        components.ref(dataclass(other))


def test_the_document_validates_and_describes_every_endpoint():
    document = openapi_document()
    validate(document)  # openapi-spec-validator: the OpenAPI 3.1 schema and its references
    assert document["openapi"] == "3.1.0" and document["info"]["version"] == out.API_VERSION
    assert {endpoint.path for endpoint in ENDPOINTS} <= set(document["paths"])
    assert {"/api/patterns.json", "/api/patterns/{slug}.json"} <= set(document["paths"])
    schemas = document["components"]["schemas"]
    # The worker's own contract types describe what it measured: one definition for page, API and schema.
    lint = schemas["LintFinding"]["properties"]
    assert set(lint) == {"code", "level", "line", "message", "wasted_bytes"}
    assert "later layer hid" in schemas["Layer"]["properties"]["reclaimable_bytes"]["description"]
    assert schemas["Verification"]["properties"]["failure_reason"]["enum"][:2] == ["", "BUILD_FAILED"]
    list_parameters = document["paths"]["/api/v1/patterns.json"]["get"]["parameters"]
    assert [p["name"] for p in list_parameters] == ["category", "kind", "state"]


def test_a_field_the_types_do_not_have_is_refused_by_the_schema():
    document = openapi_document()
    schema = {"$ref": "#/components/schemas/Problem", "components": document["components"]}
    Draft202012Validator(schema).validate({"error": "x", "parameter": "", "allowed": []})
    with pytest.raises(ValidationError, match="Additional properties"):
        Draft202012Validator(schema).validate({"error": "x", "parameter": "", "allowed": [], "hint": "y"})
    with pytest.raises(ValidationError, match="'allowed' is a required property"):
        Draft202012Validator(schema).validate({"error": "x", "parameter": ""})
