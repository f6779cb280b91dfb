"""One fault, one round of verifications, and what must hold once the fault is gone.

A round queues every example of the fault catalog (`verify --all --force`), lets the test
inject its fault while they run, then waits for the catalog to recover by itself and measures:
verifications lost (not passed in the end), stuck (still queued, running or waiting), objects
leaked on the engine, scenarios run to their end more than once, and site answers that were
errors at a time the database was up. Each round is one row of the table the suite prints.
"""

from __future__ import annotations

import dataclasses
import threading
import time
import urllib.error
import urllib.request

from tests.fault_catalog import ACTIVE, BIG, HELLO, SLOW, FaultCatalog
from tests.fault_rig import wait_for

RECOVERY_TIMEOUT = 120  # seconds after the fault is removed for everything to settle
FRIENDLY_ERROR = "Something went wrong on our side"  # templates/500.html
PAGES = ("/", f"/patterns/{HELLO}/", f"/api/patterns/{SLOW}.json", f"/patterns/{BIG}/")
# After the database comes back, requests already waiting on it may still fail for a moment.
DATABASE_GRACE_SECONDS = 2.0


@dataclasses.dataclass
class FaultRow:
    fault: str
    lost: int
    stuck: int
    leaked: int
    ran_twice: int
    site_errors: int
    recover_seconds: float

    def cells(self) -> list[str]:
        return [self.fault, str(self.lost), str(self.stuck), str(self.leaked), str(self.ran_twice),
                str(self.site_errors), f"{self.recover_seconds:.1f}"]  # fmt: skip


HEADER = [
    "fault",
    "verifications lost",
    "stuck",
    "leaked objects",
    "ran twice",
    "site errors",
    "seconds to recover",
]
TABLE: list[FaultRow] = []  # printed at the end of the session (tests/conftest.py)


def table_text() -> str:
    rows = [HEADER, *(row.cells() for row in TABLE)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(HEADER))]
    lines = [" | ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


class SitePoller:
    """Asks the site for a few pages, four times a second, for as long as the round lasts."""

    def __init__(self, catalog: FaultCatalog):
        self.catalog = catalog
        self.answers: list[tuple[float, str, int, str]] = []  # (when, path, status, what was wrong)
        self.database_down: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True, name="site-poller")

    def __enter__(self) -> SitePoller:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join(timeout=15)

    def _poll(self) -> None:
        while not self._stop.is_set():
            for path in PAGES:
                self.answers.append((time.monotonic(), path, *self._ask(path)))
            self._stop.wait(0.25)

    def _ask(self, path: str) -> tuple[int, str]:
        url = f"http://127.0.0.1:{self.catalog.port}{path}"
        try:
            with urllib.request.urlopen(url, timeout=10) as response:
                response.read()
                return response.status, ""
        except urllib.error.HTTPError as error:
            body = error.read().decode(errors="replace")
            friendly = FRIENDLY_ERROR in body or path.startswith("/api/")
            return error.code, "" if friendly else "an error page that is not the friendly one"
        except OSError as error:
            return 0, f"no answer: {error}"

    def errors(self) -> list[str]:
        """Answers that were not 200: allowed only as friendly 5xx while the database was down."""
        wrong = []
        for when, path, status, problem in self.answers:
            while_down = any(
                start <= when <= end + DATABASE_GRACE_SECONDS for start, end in self.database_down
            )
            if status == 200 or (status >= 500 and while_down and not problem):
                continue
            wrong.append(f"{path}: {status} {problem}".strip())
        return wrong


class Round:
    """Queue the catalog, let the caller inject a fault, then measure the recovery."""

    def __init__(self, catalog: FaultCatalog, fault: str):
        self.catalog, self.fault = catalog, fault
        self.ids: list[int] = []
        self.site = SitePoller(catalog)
        self.fault_removed_at: float | None = None

    def __enter__(self) -> Round:
        # A round that failed may have left rows running: each round starts from a quiet catalog.
        wait_for(
            lambda: all(row["state"] not in ACTIVE for row in self.catalog.rows()),
            RECOVERY_TIMEOUT,
            f"{self.fault}: the rows of an earlier round never settled",
            interval=0.25,
        )
        before = {row["id"] for row in self.catalog.rows()}
        self.catalog.manage("verify", "--all", "--force")
        self.ids = sorted(row["id"] for row in self.catalog.rows() if row["id"] not in before)
        assert len(self.ids) == 3, f"verify --all --force queued {self.ids}"
        self.site.__enter__()
        return self

    def fault_removed(self) -> None:
        """The test calls this once the fault is gone; recovery is timed from here."""
        self.fault_removed_at = time.monotonic()

    def wait_for_any(self, condition, what: str, timeout: float = 60) -> dict:
        """Polls this round's rows until one meets condition(row); returns that row."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for row in self.catalog.rows(self.ids):
                if condition(row):
                    return row
            time.sleep(0.05)
        raise AssertionError(f"{self.fault}: no verification {what}; rows: {self.catalog.rows(self.ids)}")

    def wait_for_row(self, slug: str, condition, what: str, timeout: float = 60) -> dict:
        """Polls the slug's row of this round until condition(row) holds; returns that row."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            row = self.catalog.row_of(self.ids, slug)
            if condition(row):
                return row
            time.sleep(0.05)
        raise AssertionError(f"{self.fault}: {slug} never {what}; its row: {row}")

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is not None:
            self.site.__exit__()
            return
        if self.fault_removed_at is None:
            self.fault_removed()
        try:
            recovered = self._settle()
        finally:
            self.site.__exit__()
        rows = self.catalog.rows(self.ids)
        stuck = [row for row in rows if row["state"] in ACTIVE]
        lost = [row for row in rows if row["state"] not in ACTIVE and row["state"] != "passed"]
        lost_count = len(self.ids) - len(rows) + len(lost)
        leaked = self.catalog.leaked()
        completions = self.catalog.completions()
        twice = [pk for pk in self.ids if completions[pk] > 1]
        site_errors = self.site.errors()
        TABLE.append(
            FaultRow(self.fault, lost_count, len(stuck), len(leaked), len(twice), len(site_errors), recovered)
        )
        problems = []
        if lost or stuck or lost_count:
            described = [
                f"{r['slug']} {r['state']} {r['failure_reason']}: {r['detail'][:300]}" for r in lost + stuck
            ]
            # The end of each lost run's log says what it saw (a failed command's last lines among them).
            described += [f"{r['slug']} log ends: {(r['log'] or '')[-1500:]}" for r in lost]
            problems.append(f"not passed: {described}")
        if leaked:
            problems.append(f"left on the engine: {leaked}")
        if twice:
            problems.append(f"ran to their end more than once: {twice}")
        if any(completions[pk] == 0 for pk in self.ids if pk not in {r["id"] for r in lost + stuck}):
            problems.append(f"passed with no run to its end in the worker logs: {dict(completions)}")
        if site_errors:
            problems.append(f"site errors: {sorted(set(site_errors))[:10]} ({len(site_errors)} in all)")
        assert not problems, f"{self.fault}: " + "; ".join(problems)

    def _settle(self) -> float:
        """Seconds from the fault's removal until every row is final and nothing is left behind."""
        deadline = self.fault_removed_at + RECOVERY_TIMEOUT
        while time.monotonic() < deadline:
            with_rows = self._quietly(
                lambda: all(r["state"] not in ACTIVE for r in self.catalog.rows(self.ids))
            )
            if with_rows and not self._quietly(self.catalog.leaked, default=["?"]):
                break
            time.sleep(0.25)
        return time.monotonic() - self.fault_removed_at

    @staticmethod
    def _quietly(read, default=False):
        """A read that may meet a service still coming back counts as "not yet"."""
        try:
            return read()
        except Exception:
            return default
