"""The report an attendee's check.sh sends to a readiness check: its fields, read and checked once (format 1).

catalog/kits/check.sh writes it; the join link reads it here when it arrives, and the dashboard
reads the stored copy back through the same function. Every field is checked for its type, length
and range, and a field this format does not name is dropped, so nothing else reaches the database.
An error names the field (`items[2].status: ...`), for the attendee's terminal.
"""

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

REPORT_FORMAT = 1
MAX_BYTES = 64 * 1024  # a kit of 300 examples with a line of detail each fits in a third of it
MAX_CHECKS, MAX_ITEMS = 20, 300
MAX_NICKNAME, MAX_TEXT, MAX_DETAIL = 100, 100, 2000
MAX_SECONDS = 7 * 24 * 3600
ITEM_STATUSES = ("passed", "failed", "not run")
CHECK_STATUSES = ("passed", "failed", "skipped")
SLUG = re.compile(r"[-a-zA-Z0-9_]+")
CHECK_NAME = re.compile(r"[a-z0-9][-a-z0-9_]*")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class ReportError(ValueError):
    def __init__(self, field: str, problem: str):
        self.field = field
        super().__init__(f"{field}: {problem}")


@dataclass(frozen=True)
class Kit:
    workshop: str
    cut: str | None
    kit_format: int


@dataclass(frozen=True)
class Machine:
    os: str
    arch: str
    cli_version: str
    engine_version: str
    engine_os: str
    engine_arch: str
    free_disk_mb: int | None
    builder: str


@dataclass(frozen=True)
class Check:
    name: str
    status: str
    detail: str


@dataclass(frozen=True)
class ItemResult:
    number: int
    folder: str
    pattern: str
    example: str
    status: str
    seconds: int | None
    detail: str


@dataclass(frozen=True)
class Report:
    kit: Kit
    nickname: str
    machine: Machine
    checks: tuple[Check, ...]
    items: tuple[ItemResult, ...]
    started: datetime
    seconds: int

    @property
    def passed(self) -> int:
        return sum(item.status == "passed" for item in self.items)

    @property
    def failed(self) -> int:
        """Items that did not pass, those not run among them (as check.sh counts them)."""
        return len(self.items) - self.passed

    def to_json(self) -> dict:
        return {
            "report_format": REPORT_FORMAT,
            "kit": vars(self.kit),
            "nickname": self.nickname,
            "machine": vars(self.machine),
            "checks": [vars(check) for check in self.checks],
            "items": [vars(item) for item in self.items],
            "passed": self.passed,
            "failed": self.failed,
            "started": self.started.isoformat(),
            "seconds": self.seconds,
        }


def parse_report(body: bytes) -> Report:
    """A report from a request's body: UTF-8 JSON of format 1, at most MAX_BYTES."""
    if len(body) > MAX_BYTES:
        raise ReportError("report", f"{len(body)} bytes, more than the {MAX_BYTES} a report may have")
    try:
        data = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ReportError("report", f"not JSON ({error})") from None
    return read_report(data)


def read_report(data: Any) -> Report:
    """A report from decoded JSON: a new one, or a stored copy (`Report.to_json()`)."""
    fields = Fields(data, "report")
    if fields.number("report_format", 0, 10**6) != REPORT_FORMAT:
        raise ReportError("report_format", f"this site reads format {REPORT_FORMAT}: use the kit it offers")
    kit = fields.object("kit")
    machine = fields.object("machine")
    report = Report(
        kit=Kit(
            workshop=kit.text("workshop", 80, pattern=SLUG),
            cut=kit.text("cut", 80, pattern=SLUG, null=True),
            kit_format=kit.number("kit_format", 1, 10**6),
        ),
        nickname=fields.text("nickname", MAX_NICKNAME, required=True),
        machine=Machine(
            os=machine.text("os", MAX_TEXT),
            arch=machine.text("arch", MAX_TEXT),
            cli_version=machine.text("cli_version", MAX_TEXT),
            engine_version=machine.text("engine_version", MAX_TEXT),
            engine_os=machine.text("engine_os", MAX_TEXT),
            engine_arch=machine.text("engine_arch", MAX_TEXT),
            free_disk_mb=machine.number("free_disk_mb", 0, 10**12, null=True),
            builder=machine.text("builder", MAX_TEXT),
        ),
        checks=tuple(fields.objects("checks", MAX_CHECKS, read_check)),
        items=tuple(fields.objects("items", MAX_ITEMS, read_item)),
        started=fields.moment("started"),
        seconds=fields.number("seconds", 0, MAX_SECONDS),
    )
    # The counts are the items' own: a report whose totals disagree with its items is not trusted.
    for name, count in (("passed", report.passed), ("failed", report.failed)):
        given = fields.number(name, 0, MAX_ITEMS)
        if given != count:
            raise ReportError(name, f"{given}, but {count} of the items say so")
    return report


def read_check(fields: "Fields") -> Check:
    return Check(
        name=fields.text("name", 40, pattern=CHECK_NAME),
        status=fields.choice("status", CHECK_STATUSES),
        detail=fields.text("detail", MAX_DETAIL, default=""),
    )


def read_item(fields: "Fields") -> ItemResult:
    return ItemResult(
        number=fields.number("number", 1, 9999),
        folder=fields.text("folder", 200),
        pattern=fields.text("pattern", 80, pattern=SLUG),
        example=fields.text("example", 80, pattern=SLUG),
        status=fields.choice("status", ITEM_STATUSES),
        seconds=fields.number("seconds", 0, MAX_SECONDS, null=True),
        detail=fields.text("detail", MAX_DETAIL, default=""),
    )


class Fields:
    """One JSON object's fields, read by name; every error names the field's path."""

    def __init__(self, data: Any, path: str):
        if not isinstance(data, dict):
            raise ReportError(path, "must be a JSON object")
        self.data, self.path = data, path

    def where(self, name: str) -> str:
        return name if self.path == "report" else f"{self.path}.{name}"

    def value(self, name: str, null: bool, default: Any = None) -> Any:
        if name not in self.data:
            if null or default is not None:
                return default
            raise ReportError(self.where(name), "missing")
        value = self.data[name]
        if value is None and not null:
            raise ReportError(self.where(name), "must not be null")
        return value

    def text(
        self,
        name: str,
        limit: int,
        *,
        required: bool = False,
        pattern: re.Pattern | None = None,
        null: bool = False,
        default: str | None = None,
    ) -> str | None:
        value = self.value(name, null, default)
        if value is None:
            return None
        where = self.where(name)
        if not isinstance(value, str):
            raise ReportError(where, "must be a string")
        value = value.strip()
        if len(value) > limit:
            raise ReportError(where, f"at most {limit} characters, not {len(value)}")
        if CONTROL.search(value):
            raise ReportError(where, "must not hold control characters")
        if (required or pattern) and not value:
            raise ReportError(where, "must not be empty")
        if pattern and value and not pattern.fullmatch(value):
            raise ReportError(where, f"must match {pattern.pattern}")
        return value

    def number(self, name: str, low: int, high: int, *, null: bool = False) -> int | None:
        value = self.value(name, null)
        if value is None:
            return None
        # JSON's true is a Python int; a count is never a boolean.
        if isinstance(value, bool) or not isinstance(value, int):
            raise ReportError(self.where(name), "must be a whole number")
        if not low <= value <= high:
            raise ReportError(self.where(name), f"must be from {low} to {high}, not {value}")
        return value

    def choice(self, name: str, choices: tuple[str, ...]) -> str:
        value = self.value(name, False)
        if value not in choices:
            raise ReportError(self.where(name), f"one of {', '.join(choices)}")
        return value

    def moment(self, name: str) -> datetime:
        value = self.text(name, 40, required=True)
        try:
            moment = datetime.fromisoformat(value)
        except ValueError:
            moment = None
        if moment is None or moment.tzinfo is None:
            raise ReportError(self.where(name), "a time in ISO 8601 with its zone, like 2026-12-07T14:00:00Z")
        return moment

    def object(self, name: str) -> "Fields":
        return Fields(self.value(name, False), self.where(name))

    def objects(self, name: str, limit: int, read: Callable[["Fields"], Any]) -> list:
        values = self.value(name, False)
        where = self.where(name)
        if not isinstance(values, list):
            raise ReportError(where, "must be a list")
        if len(values) > limit:
            raise ReportError(where, f"at most {limit} entries, not {len(values)}")
        return [read(Fields(value, f"{where}[{index}]")) for index, value in enumerate(values)]
