"""Where a workshop kit's build stands, kept in `<name>.status.json` beside the kit (var/kits).

The site writes `queued` when a trainer asks for a build; the worker writes `building` when it
claims that request, then each progress line, then `ready` or `failed`. No database row: the
kit is a file and its state lives beside it. Every change is made under an exclusive lock on
`<name>.status.lock` and written to a temporary file renamed over the old one, so a reader
never sees half a status and two requests cannot both queue a build.
"""

from __future__ import annotations

import fcntl
import json
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from pathlib import Path

from worker.contract.codec import ContractError, from_json, to_json
from worker.contract.quantities import format_size

STATUS_FORMAT = 1
LOG_LINES, LINE_CHARS = 20, 300  # a build says a handful of lines; the cap keeps a status small
BUILD_SECONDS = 20 * 60  # the task's soft time limit: a build running longer is stopped
# A build still "building" this long after its claim is no longer running anywhere: the task's
# hard time limit has killed it, or its worker was lost. A request no worker took within the
# patience was lost with its message. Either may then be asked for again.
BUILD_LOST_AFTER = timedelta(seconds=BUILD_SECONDS + 120)
QUEUED_PATIENCE = timedelta(hours=1)
_NAME = re.compile(r"[A-Za-z0-9_-]+")  # a workshop slug, and `--` and a cut's slug


class KitState(StrEnum):
    QUEUED = "queued"
    BUILDING = "building"
    READY = "ready"
    FAILED = "failed"


@dataclass(frozen=True)
class KitStatus:
    name: str  # the kit's file name without extension (KitPlan.name)
    workshop: str
    cut: str
    state: KitState
    build: str  # the request's id: a worker claims only the build it was sent for
    since: str  # when this state began, ISO 8601 in UTC
    updated: str  # the newest change: the state or a progress line
    log: tuple[str, ...] = ()
    error: str = ""  # why it failed, a clause: "The build failed: <error>."
    archive: str = ""  # ready: the archive's file name in the kits folder, its size and checksum
    size: int = 0
    sha256: str = ""
    fingerprint: str = ""  # ready: the plan it was built from (catalog/kits/fingerprint.py)
    format: int = STATUS_FORMAT

    @property
    def line(self) -> str:
        return self.log[-1] if self.log else ""

    @property
    def size_text(self) -> str:
        return format_size(self.size)

    @property
    def since_at(self) -> datetime:
        return datetime.fromisoformat(self.since)

    @property
    def updated_at(self) -> datetime:
        return datetime.fromisoformat(self.updated)

    def lost_reason(self, now: datetime) -> str:
        """Why a queued or building status is no longer true, or "" while it may still be."""
        if self.state == KitState.QUEUED and now - self.since_at > QUEUED_PATIENCE:
            return "no worker took the request within an hour (is a worker running? see /status/)"
        if self.state == KitState.BUILDING and now - self.since_at > BUILD_LOST_AFTER:
            return "it stopped without finishing: its worker was stopped or lost"
        return ""

    def moved_to(self, state: KitState, now: datetime, **changes) -> KitStatus:
        stamp = now.isoformat()
        return replace(self, state=state, since=stamp, updated=stamp, **changes)

    def said(self, line: str, now: datetime) -> KitStatus:
        return replace(self, log=(*self.log, line[:LINE_CHARS])[-LOG_LINES:], updated=now.isoformat())


def utc_now() -> datetime:
    return datetime.now(UTC)


class BadKitName(ValueError):
    """A kit name that is not a slug, so it could name a file outside the kits folder."""


def status_path(folder: Path, name: str) -> Path:
    if not _NAME.fullmatch(name):
        raise BadKitName(f"not a kit name: {name!r}")
    return folder / f"{name}.status.json"


def read_status(folder: Path, name: str) -> KitStatus | None:
    """The kit's status; None when it was never asked for, or its file is not one this code wrote."""
    try:
        data = json.loads(status_path(folder, name).read_text())
        status = from_json(KitStatus, data)
    except FileNotFoundError:
        return None
    except (ValueError, ContractError):  # an older format or a hand-edited file: as if never built
        return None
    return status if status.format == STATUS_FORMAT and status.name == name else None


def write_status(folder: Path, status: KitStatus) -> None:
    """Replace the status at once: written beside it, flushed, then renamed over it."""
    target = status_path(folder, status.name)
    text = json.dumps(to_json(status), indent=2, sort_keys=True) + "\n"
    with tempfile.NamedTemporaryFile("w", dir=folder, prefix=f".{status.name}.", delete=False) as out:
        try:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        except BaseException:
            os.unlink(out.name)
            raise
    os.replace(out.name, target)


@contextmanager
def locked(folder: Path, name: str) -> Iterator[None]:
    """Exclusive for every process of this machine that shares the folder (the site's and the worker's)."""
    folder.mkdir(parents=True, exist_ok=True)
    lock = status_path(folder, name).with_suffix(".lock")
    with lock.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


Change = Callable[[KitStatus | None], KitStatus | None]


def change_status(folder: Path, name: str, change: Change) -> tuple[KitStatus | None, bool]:
    """Apply `change` to the current status under the lock. It returns the new status, or None to
    leave it as it is; returns the status now in force and whether it changed."""
    with locked(folder, name):
        current = read_status(folder, name)
        new = change(current)
        if new is None:
            return current, False
        write_status(folder, new)
        return new, True
