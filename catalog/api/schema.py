"""JSON Schemas of the API's dataclasses, made from their type hints and comments: OpenAPI components.

The schemas are never written by hand: a field's type hint gives its schema and the comment
on its line (or `field(metadata={"doc": ...})`) its description, so the document cannot drift
from the types the responses are written from (worker/contract/codec.to_json writes every
field, hence every field is required and no other is allowed).
"""

from __future__ import annotations

import dataclasses
import datetime
import enum
import functools
import inspect
import re
import types
import typing
from typing import Any

NULL = {"type": "null"}
SCALARS = {
    str: {"type": "string"},
    bool: {"type": "boolean"},
    int: {"type": "integer"},
    float: {"type": "number"},
    datetime.datetime: {"type": "string", "format": "date-time"},
}
# `name: hint  # what it is`: a field's line in a class body and the comment that says what it is.
FIELD_COMMENT = re.compile(r"^\s+(\w+)\s*:[^#\n]*#\s*(.+?)\s*$", re.MULTILINE)


class Components:
    """The schemas of every dataclass reached from the ones asked for, by class name."""

    def __init__(self) -> None:
        self.schemas: dict[str, dict] = {}
        self._classes: dict[str, type] = {}

    def ref(self, kind: type) -> dict:
        """A reference to the schema of `kind`, made (with everything it reaches) the first time."""
        name = kind.__name__
        known = self._classes.get(name)
        if known is None:
            self._classes[name] = kind
            self.schemas[name] = {}  # taken before its fields are read, so a type may refer to itself
            self.schemas[name] = self._object(kind)
        elif known is not kind:
            raise TypeError(f"two API types are named {name}: {known.__module__} and {kind.__module__}")
        return {"$ref": f"#/components/schemas/{name}"}

    def schema(self, hint: Any) -> dict:
        """The JSON Schema of one type hint; a hint it cannot say exactly is refused, not guessed."""
        origin, args = typing.get_origin(hint), typing.get_args(hint)
        if origin in (typing.Union, types.UnionType):
            options = [self.schema(arg) for arg in args if arg is not type(None)]
            if type(None) in args:
                options.append(NULL)
            return options[0] if len(options) == 1 else {"anyOf": options}
        if origin is tuple:
            if len(args) != 2 or args[1] is not Ellipsis:
                raise TypeError(f"only tuple[X, ...] has a schema here, not {hint}")
            return {"type": "array", "items": self.schema(args[0])}
        if origin is dict or hint is dict:
            values = self.schema(args[1]) if args else {}
            return {"type": "object", "additionalProperties": values}
        if origin is typing.Literal:
            return {"enum": list(args)}
        if hint is Any:
            return {}
        if isinstance(hint, type) and issubclass(hint, enum.Enum):
            return {"type": "string", "enum": [member.value for member in hint]}
        if dataclasses.is_dataclass(hint):
            return self.ref(hint)
        if hint in SCALARS:
            return dict(SCALARS[hint])
        raise TypeError(f"no schema for {hint!r}")

    def _object(self, kind: type) -> dict:
        hints = typing.get_type_hints(kind)
        docs = field_docs(kind)
        properties = {}
        fields = [field for field in dataclasses.fields(kind) if field.init]
        for field in fields:
            schema = self.schema(hints[field.name])
            doc = field.metadata.get("doc") or docs.get(field.name)
            if doc:
                # A $ref takes no siblings in OpenAPI 3.0; in 3.1 it does, but wrapped it reads alike.
                schema = {"allOf": [schema], "description": doc} if "$ref" in schema else {**schema}
                schema["description"] = doc
            properties[field.name] = schema
        result = {
            "type": "object",
            "properties": properties,
            "required": [field.name for field in fields],
            "additionalProperties": False,
        }
        description = class_doc(kind)
        return {"description": description, **result} if description else result


def class_doc(kind: type) -> str:
    """The class's own docstring; the one dataclasses writes for a class without one is no description."""
    doc = inspect.cleandoc(kind.__doc__ or "")  # its own: inspect.getdoc would take a parent's
    return "" if doc.startswith(f"{kind.__name__}(") else doc


@functools.cache
def field_docs(kind: type) -> dict[str, str]:
    """Field name -> the comment on its line, from the class and the classes it extends (nearest wins)."""
    docs: dict[str, str] = {}
    for base in reversed(kind.__mro__):
        if dataclasses.is_dataclass(base):
            try:
                source = inspect.getsource(base)
            except (OSError, TypeError):  # a class made at run time has no source to read
                continue
            docs.update(FIELD_COMMENT.findall(source))
    return docs
