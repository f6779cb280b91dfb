"""Typed dataclasses to and from the JSON the database stores, checked field by field.

`to_json` writes every field; `from_json` reads a mapping back into the type, taking a field's
default when an older result lacks it and refusing a value of the wrong type with the path
of the field ("images.app.size: expected int, got str"), so a misspelt or missing key fails
where it is read instead of showing a dash on a page.
"""

from __future__ import annotations

import dataclasses
import enum
import functools
import types
import typing
from collections.abc import Mapping
from typing import Any, TypeVar

T = TypeVar("T")


class ContractError(ValueError):
    """Stored data that does not have the contract's shape; the message names the field."""


def to_json(value: Any) -> Any:
    """Plain JSON data: dataclasses become objects, tuples lists, enums their values."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {field.name: to_json(getattr(value, field.name)) for field in _fields(type(value))}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [to_json(item) for item in value]
    if isinstance(value, Mapping):
        return {str(key): to_json(item) for key, item in value.items()}
    return value


def from_json(kind: type[T], data: Any, path: str = "") -> T:
    """`data` read as `kind`; raises ContractError naming the first field that does not fit."""
    return _read(kind, data, path or kind.__name__)


@functools.cache
def _fields(kind: type) -> tuple[dataclasses.Field, ...]:
    return tuple(field for field in dataclasses.fields(kind) if field.init)


@functools.cache
def _hints(kind: type) -> dict[str, Any]:
    return typing.get_type_hints(kind)


def _read(kind: Any, data: Any, path: str) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        options = typing.get_args(kind)
        if data is None and type(None) in options:
            return None
        for option in options:
            if option is not type(None):
                return _read(option, data, path)
    if origin is tuple:
        item = typing.get_args(kind)[0]
        _expect(isinstance(data, list | tuple), path, "a list", data)
        return tuple(_read(item, value, f"{path}[{index}]") for index, value in enumerate(data))
    if origin in (dict, Mapping) or kind is dict:
        _expect(isinstance(data, Mapping), path, "an object", data)
        item = typing.get_args(kind)[1] if typing.get_args(kind) else Any
        return {str(key): _read(item, value, f"{path}.{key}") for key, value in data.items()}
    if kind is Any:
        return data
    if dataclasses.is_dataclass(kind):
        return _read_dataclass(kind, data, path)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return kind(data)
        except ValueError:
            raise ContractError(f"{path}: {data!r} is not one of {[m.value for m in kind]}") from None
    if kind is float:
        _expect(isinstance(data, int | float) and not isinstance(data, bool), path, "a number", data)
        return float(data)
    if kind is int:
        _expect(isinstance(data, int) and not isinstance(data, bool), path, "an integer", data)
        return data
    _expect(isinstance(data, kind), path, kind.__name__, data)
    return data


def _read_dataclass(kind: type, data: Any, path: str) -> Any:
    _expect(isinstance(data, Mapping), path, "an object", data)
    hints = _hints(kind)
    values = {}
    for field in _fields(kind):
        if field.name in data:
            values[field.name] = _read(hints[field.name], data[field.name], f"{path}.{field.name}")
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ContractError(f"{path}.{field.name}: missing")
    return kind(**values)


def _expect(ok: bool, path: str, what: str, data: Any) -> None:
    if not ok:
        raise ContractError(f"{path}: expected {what}, got {type(data).__name__} {data!r:.60}")
