"""Whether the site shows each new verification result once its generation bump had time to reach it.

A finished verification bumps the catalog generation; the site's WSGI front re-reads it at
most PAGE_CACHE_POLL_SECONDS later (catalog/serving/page_cache.py). A watcher notes when each new
generation is first read from the shared cache; a checker follows every verification that
lands during the window and, from that moment plus the bound, requires its pattern's API
page to show it as the example's newest result, on every one of a few fetches.

Imported after django.setup(): both read through the site's own cache and ORM.
"""

from __future__ import annotations

import json
import threading
import time
import traceback
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection
from load_verifications import moment
from pages import fetch

from catalog.models import Verification
from catalog.serving.page_cache import GENERATION_KEY
from catalog.verifications.latest import RESULT_STATES

WATCH_SECONDS = 0.01  # the precision of "first read"
FETCH_SECONDS = 0.05
POLL_ROWS_SECONDS = 0.2
CONFIRMATIONS = 4  # fetches after the bound: granian's processes each keep their own view


@dataclass(frozen=True)
class Landed:
    pk: int
    state: str
    finished_at: float  # epoch seconds: when the transaction that recorded the result began
    pattern: str
    example: str


@dataclass(frozen=True)
class Freshness:
    landed: Landed
    shown_after: float | None  # seconds from the bump's first read to the first fetch showing it
    stale: str  # what went wrong, "" when every fetch after the bound showed the result


class GenerationWatcher(threading.Thread):
    """Notes when each new catalog generation is first read from the shared cache."""

    def __init__(self) -> None:
        super().__init__(daemon=True, name="generation-watcher")
        self.stopping = threading.Event()
        self.error = ""
        self._lock = threading.Lock()
        self._seen: list[float] = []

    def run(self) -> None:
        try:
            last = cache.get(GENERATION_KEY)
            while not self.stopping.wait(WATCH_SECONDS):
                generation = cache.get(GENERATION_KEY)
                if generation != last:
                    # Taken after the read returned, so the bump had landed by then: a bound
                    # counted from here is never shorter than the one the page cache promises.
                    seen, last = time.time(), generation
                    with self._lock:
                        self._seen.append(seen)
        except Exception:
            self.error = traceback.format_exc()

    def stop(self) -> None:
        self.stopping.set()
        self.join(30)

    def first_seen_after(self, epoch: float) -> float | None:
        with self._lock:
            return next((seen for seen in self._seen if seen >= epoch), None)


class FreshnessChecker(threading.Thread):
    """Follows up to `sample` verifications that finish from `since` on, until `finish()`."""

    def __init__(self, base: str, watcher: GenerationWatcher, bound: float, since: float, sample: int):
        super().__init__(daemon=True, name="freshness-checker")
        self.base, self.watcher, self.bound, self.since, self.sample = base, watcher, bound, since, sample
        self.results: list[Freshness] = []
        self.error = ""
        self.until: float | None = None  # the window's end, once known
        self.deadline = float("inf")
        self._first_shown: dict[int, float] = {}

    def finish(self, until: float, grace: float) -> None:
        """Takes rows that finished by `until`, and gives up on any still unresolved after `grace`."""
        self.until, self.deadline = until, time.time() + grace
        self.join(grace + 30)

    def stop(self) -> None:
        self.deadline = 0
        self.join(30)

    def run(self) -> None:
        pending: dict[int, Landed] = {}
        seen: set[int] = set()
        next_rows = 0.0
        try:
            while time.time() < self.deadline:
                if time.time() >= next_rows and len(seen) < self.sample:
                    for landed in self._landed(seen):
                        seen.add(landed.pk)
                        pending[landed.pk] = landed
                    next_rows = time.time() + POLL_ROWS_SECONDS
                for pk, landed in list(pending.items()):
                    if (result := self._check(landed)) is not None:
                        self.results.append(result)
                        del pending[pk]
                # Rows committed just after the window's end get a moment to appear.
                if not pending and self.until is not None and time.time() > self.until + 2 * self.bound + 2:
                    break
                time.sleep(FETCH_SECONDS)
            for landed in pending.values():
                self.results.append(Freshness(landed, None, "unresolved when the checker gave up"))
        except Exception:
            self.error = traceback.format_exc()
        finally:
            connection.close()

    def _landed(self, seen: set[int]) -> list[Landed]:
        rows = Verification.objects.filter(state__in=RESULT_STATES, finished_at__gte=moment(self.since))
        if self.until is not None:
            rows = rows.filter(finished_at__lte=moment(self.until))
        rows = rows.exclude(pk__in=seen).order_by("finished_at")[: self.sample - len(seen)]
        fields = ("pk", "state", "finished_at", "example__pattern__slug", "example__slug")
        return [
            Landed(pk, state, finished_at.timestamp(), pattern, example)
            for pk, state, finished_at, pattern, example in rows.values_list(*fields)
        ]

    def _check(self, landed: Landed) -> Freshness | None:
        """The verdict once the bound has passed, None until then."""
        bumped = self.watcher.first_seen_after(landed.finished_at)
        sent = time.time()
        if shows(self._shown(landed), landed):
            self._first_shown.setdefault(landed.pk, sent)
        if bumped is None or sent < bumped + self.bound:
            return None
        for _ in range(CONFIRMATIONS):
            sent = time.time()
            shown = self._shown(landed)
            if not shows(shown, landed):
                stale = f"shows {shown} {sent - bumped:.3f} s after the bump was first read"
                return Freshness(landed, None, stale)
        first = self._first_shown.get(landed.pk, sent)
        return Freshness(landed, first - bumped, "")

    def _shown(self, landed: Landed) -> tuple[int, str] | None:
        """(id, state) of the newest result the pattern's API page gives for the example."""
        _, body = fetch(f"{self.base}/api/patterns/{landed.pattern}.json")
        for example in json.loads(body)["examples"]:
            if example["slug"] == landed.example:
                result = example["last_result"]
                return (result["id"], result["state"]) if result else None
        raise RuntimeError(f"/api/patterns/{landed.pattern}.json has no example {landed.example}")


def shows(shown: tuple[int, str] | None, landed: Landed) -> bool:
    # A newer result of the same example (a higher id) is fine too: the page is not stale.
    return shown is not None and (shown == (landed.pk, landed.state) or shown[0] > landed.pk)
