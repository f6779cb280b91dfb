"""What the workshop loader reads from workshops/<slug>.yaml: plain dataclasses, durations, depths."""

import re
from dataclasses import asdict, dataclass

from catalog.content.sources import digest

DEPTHS = ("core", "extra")
DURATION = re.compile(r"^(?:(\d+)h)?(?:(\d+)m)?$")
DURATION_HELP = "a duration like '2h', '3h30m' or '90m'"
MAX_DURATION = 7 * 24 * 60  # a week: past that a number is a typing slip, and the database's column is finite


def parse_duration(value: object) -> int:
    """Minutes from the file's words ('2h', '3h30m', '90m'); ValueError for anything else or zero."""
    match = DURATION.match(value) if isinstance(value, str) else None
    if not match or not any(match.groups()):
        raise ValueError(f"{value!r} is not {DURATION_HELP}")
    minutes = int(match.group(1) or 0) * 60 + int(match.group(2) or 0)
    if minutes <= 0:
        raise ValueError("a duration is longer than nothing")
    if minutes > MAX_DURATION:
        raise ValueError(f"{value!r} is longer than a week ({MAX_DURATION // 60}h)")
    return minutes


def duration_words(minutes: int) -> str:
    """Minutes as the file writes them, the inverse of parse_duration: '2h', '90m', '3h30m'.

    Whole hours in hours; under two hours in minutes, as people say "ninety minutes"; else both.
    """
    hours, rest = divmod(minutes, 60)
    if not rest:
        return f"{hours}h"
    return f"{minutes}m" if minutes < 120 else f"{hours}h{rest}m"


def duration_text(minutes: int) -> str:
    """Minutes as a reader says them: '45 min', '2 h', '3 h 30 min'."""
    hours, rest = divmod(minutes, 60)
    if not hours:
        return f"{rest} min"
    return f"{hours} h {rest} min" if rest else f"{hours} h"


def cut_keeps(drop_depth: tuple[str, ...], drop: tuple[str, ...], depth: str, pattern: str) -> bool:
    """The one rule of a cut, for the loader's checks and the agenda alike."""
    return depth not in drop_depth and pattern not in drop


@dataclass(frozen=True)
class ItemSource:
    pattern: str
    examples: tuple[str, ...]  # empty: every example of the pattern
    minutes: int
    depth: str
    notes: str


@dataclass(frozen=True)
class PartSource:
    title: str
    items: tuple[ItemSource, ...]


@dataclass(frozen=True)
class CutSource:
    name: str
    title: str
    minutes: int
    drop_depth: tuple[str, ...]
    drop: tuple[str, ...]  # pattern slugs

    def keeps(self, item: ItemSource) -> bool:
        return cut_keeps(self.drop_depth, self.drop, item.depth, item.pattern)


@dataclass(frozen=True)
class WorkshopSource:
    slug: str
    title: str
    summary: str
    audience: str
    minutes: int
    parts: tuple[PartSource, ...]
    cuts: tuple[CutSource, ...]
    date: str = ""  # the day of the event, ISO 8601; mostly a trainer's own workshop has one

    @property
    def content_hash(self) -> str:
        return digest(asdict(self))
