"""A mapping of named fields, each of a kind, checked as a whole: unknown and missing fields reported."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from worker.scenario.declared import Declared
from worker.scenario.kinds import KINDS, Checker

_MISSING = object()


@dataclass(frozen=True)
class Fields:
    """Named fields, each with a kind (a Checker method) and whether it is required."""

    kinds: Mapping[str, str]
    required: frozenset[str] = frozenset()

    def __post_init__(self):
        unknown = sorted(set(self.kinds.values()) - KINDS) + sorted(self.required - set(self.kinds))
        if unknown:
            raise ValueError(f"fields of unknown kinds or required but not listed: {', '.join(unknown)}")

    def check(self, declared: Declared, raw: object, path: str) -> dict | None:
        raw = {} if raw is None else raw
        if not isinstance(raw, dict):
            declared.error(path, "expected a mapping")
            return None
        clean, errors_before = {}, len(declared.errors)
        for key in sorted(set(raw) - set(self.kinds), key=str):
            allowed = ", ".join(sorted(self.kinds)) or "nothing"
            declared.error(f"{path}.{key}", f"unknown field here; allowed: {allowed}")
        for key in sorted(self.required - set(raw)):
            declared.error(f"{path}.{key}", "required")
        for key, kind in self.kinds.items():
            value = raw.get(key, _MISSING)
            if value is not _MISSING:
                clean[key] = Checker(declared, f"{path}.{key}").check(kind, value)
        return clean if len(declared.errors) == errors_before else None
