"""Reads one mapping of a workshop file at its field path (`parts[1].items[2]`), recording every problem.

The pattern loader's FieldReader knows only top-level front-matter fields; a workshop nests
parts, items and cuts, so its errors carry the whole path to the field.
"""

import contextlib
import datetime

from catalog.content.sources import ContentError
from catalog.content.taxonomy import SLUG_PATTERN
from catalog.workshops.sources import DURATION_HELP, parse_duration

SLUG_LIMIT = 80  # the slug columns' length
MAX_ITEM_MINUTES = 600


class Fields:
    def __init__(self, data: dict, file: str, path: str, errors: list[ContentError]):
        self.data, self.file, self.path, self.errors = data, file, path, errors

    def where(self, name: str) -> str:
        return ".".join(part for part in (self.path, name) if part)

    def fail(self, name: str, message: str) -> None:
        self.errors.append(ContentError(self.file, self.where(name), message))

    def reject_unknown(self, known: set[str]) -> None:
        for key in sorted(set(self.data) - known, key=str):
            self.fail(str(key), f"unknown field; expected {', '.join(sorted(known))}")

    def text(self, name: str, limit: int | None = None) -> str:
        """Required text; `limit`: the most characters its database column holds."""
        value = self.data.get(name)
        if not isinstance(value, str) or not value.strip():
            self.fail(name, "required text is missing")
            return ""
        if limit and len(value.strip()) > limit:
            self.fail(name, f"at most {limit} characters, not {len(value.strip())}")
            return ""
        return value.strip()

    def optional_text(self, name: str) -> str:
        value = self.data.get(name, "")
        if not isinstance(value, str):
            self.fail(name, "expected text")
            return ""
        return value.strip()

    def slug(self, name: str) -> str:
        value = self.text(name, limit=SLUG_LIMIT)
        if value and not SLUG_PATTERN.match(value):
            self.fail(name, f"{value!r} is not a slug: lower-case words joined by '-'")
        return value

    def duration(self, name: str) -> int:
        """Minutes; 0 after recording an error."""
        if name not in self.data:
            self.fail(name, f"required: {DURATION_HELP}")
            return 0
        try:
            return parse_duration(self.data[name])
        except ValueError as error:
            self.fail(name, str(error))
            return 0

    def minutes(self, name: str) -> int:
        value = self.data.get(name)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            self.fail(name, f"expected a whole number of minutes above 0, got {value!r}")
            return 0
        if value > MAX_ITEM_MINUTES:
            self.fail(name, f"at most {MAX_ITEM_MINUTES} minutes for one item, not {value}")
            return 0
        return value

    def date(self, name: str) -> str:
        """An optional day, written 2026-05-14 (YAML reads it as a date); ISO text, or ''."""
        value = self.data.get(name)
        if value is None:
            return ""
        if isinstance(value, str):
            with contextlib.suppress(ValueError):  # then reported below as not a day
                value = datetime.date.fromisoformat(value)
        if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
            self.fail(name, f"expected a day like 2026-05-14, got {value!r}")
            return ""
        return value.isoformat()

    def choice(self, name: str, allowed: tuple[str, ...]) -> str:
        value = self.data.get(name)
        if value not in allowed:
            self.fail(name, f"{value!r} is not one of {', '.join(allowed)}")
            return ""
        return value

    def slugs(self, name: str) -> tuple[str, ...]:
        """An optional list of slugs, each once."""
        values = self.data.get(name, [])
        if not isinstance(values, list):
            self.fail(name, "expected a list of slugs")
            return ()
        found: list[str] = []
        for index, value in enumerate(values):
            if not isinstance(value, str) or not SLUG_PATTERN.match(value):
                self.fail(f"{name}[{index}]", f"{value!r} is not a slug")
            elif value in found:
                self.fail(f"{name}[{index}]", f"{value!r} is listed twice")
            else:
                found.append(value)
        return tuple(found)

    def mappings(self, name: str, required: bool = False) -> list["Fields"]:
        """A list of mappings, each read at its own path; a required list has at least one."""
        values = self.data.get(name, [])
        if not isinstance(values, list) or (required and not values):
            self.fail(name, f"required: a list of {name}" if required else f"expected a list of {name}")
            return []
        readers = []
        for index, value in enumerate(values):
            where = f"{name}[{index}]"
            if isinstance(value, dict):
                readers.append(Fields(value, self.file, self.where(where), self.errors))
            else:
                self.fail(where, "expected a mapping of fields")
        return readers
