"""One line that says whether a workshop can be run as it stands, from its examples' latest verifications.

"All 14 examples passed on Docker 20.10.24, x86_64, 3 hours ago", or which examples failed, are
stale or were never verified, each linked to its pattern page's verification panel.
"""

from dataclasses import dataclass
from datetime import datetime

from django.utils import dateformat, timezone

from catalog.models import Pattern
from catalog.verifications.result import ago
from catalog.workshops.agenda import ItemLine
from catalog.workshops.evidence import MISSING, NEVER, STALE, ExampleEvidence

# What is wrong with an example, in the words of the line; the order is the order they are listed in.
TROUBLE = {
    "failed": "failed its last run",
    "error": "could not be verified (a fault of the machinery, not of the example)",
    STALE: "changed since its last run, which therefore proves nothing about it yet",
    NEVER: "has never been verified",
    "skipped": "is not run on this site (it needs host access the worker does not allow)",
    MISSING: "is no longer in the catalog",
}
# What the page warns of as soon as it happens (the daily re-verification finds it): the example's
# own doing, not the machinery's.
WARNED = ("failed", STALE)


@dataclass(frozen=True)
class Trouble:
    pattern: Pattern
    example: str
    verdict: str
    at: datetime | None = None  # when its newest result finished
    last_passed: datetime | None = None  # when its newest passed run finished

    @property
    def words(self) -> str:
        return TROUBLE[self.verdict]

    @property
    def warning(self) -> str:
        """ "signals failed on 7 Dec; last passed 5 Dec", or what changed, with the day it last passed."""
        last = f"last passed {day(self.last_passed)}" if self.last_passed else "it never passed"
        if self.verdict == "failed" and self.at:
            return f"{self.example} failed on {day(self.at)}; {last}"
        if self.verdict == "failed":
            return f"{self.example} failed; {last}"
        return f"{self.example} changed since its last run; {last}"

    @property
    def url(self) -> str:
        return f"{self.pattern.get_absolute_url()}#verification-{self.example}"


@dataclass(frozen=True)
class Readiness:
    total: int
    trouble: tuple[Trouble, ...]
    engines: tuple[str, ...] = ()  # "Docker 20.10.24, x86_64", one per engine the runs used
    oldest: datetime | None = None  # the oldest of the passing runs: all passed since then

    @property
    def ready(self) -> bool:
        return self.total > 0 and not self.trouble

    @property
    def warnings(self) -> tuple[Trouble, ...]:
        return tuple(trouble for trouble in self.trouble if trouble.verdict in WARNED)

    @property
    def oldest_ago(self) -> str:
        return ago(self.oldest)

    @property
    def headline(self) -> str:
        if not self.total:
            return "Not ready: no item has an example to run"
        if self.ready:
            every = "Its one example" if self.total == 1 else f"All {self.total} examples"
            where = f" on {' and '.join(self.engines)}" if self.engines else ""
            return f"{every} passed{where}"
        return f"Not ready: {len(self.trouble)} of {self.total} examples need attention"


def readiness_of(lines: tuple[ItemLine, ...]) -> Readiness:
    """Readiness of the items shown (a cut's readiness covers only what it keeps)."""
    shown: dict[tuple[str, str], tuple[Pattern, ExampleEvidence]] = {}
    for line in lines:
        for example in line.examples:
            shown[(example.pattern, example.slug)] = (line.item.pattern, example)
    order = list(TROUBLE)
    trouble = sorted(
        (
            Trouble(pattern, e.slug, e.verdict, at=e.finished_at, last_passed=e.passed_at)
            for pattern, e in shown.values()
            if e.verdict != "passed"
        ),
        key=lambda t: order.index(t.verdict),
    )
    passed = [e for _, e in shown.values() if e.verdict == "passed"]
    engines = tuple(dict.fromkeys(engine_words(e) for e in passed if e.engine))
    return Readiness(
        total=len(shown),
        trouble=tuple(trouble),
        engines=engines,
        oldest=min((e.finished_at for e in passed if e.finished_at), default=None),
    )


def engine_words(example: ExampleEvidence) -> str:
    return f"Docker {example.engine}, {example.arch}" if example.arch else f"Docker {example.engine}"


def day(moment: datetime) -> str:
    """ "7 Dec": the day, in the site's time zone."""
    return dateformat.format(timezone.localtime(moment), "j M")
