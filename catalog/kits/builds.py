"""Asking for a kit and following its build: the transitions of its status, and what a page offers.

The site asks (`request_build`); the worker claims the request it was sent, says its progress,
then finishes or fails it. Every transition checks the build's id under the status lock, so a
build given up for lost (KitStatus.lost_reason) cannot overwrite the one asked for after it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from catalog.kits.build import BuiltKit
from catalog.kits.status import KitState, KitStatus, change_status, read_status, utc_now
from worker.contract.quantities import format_size

# What a page shows: the status's own states, and "none" (never asked for) and "outdated" (ready,
# but built from a catalog that has changed since).
NONE, OUTDATED = "none", "outdated"


@dataclass(frozen=True)
class KitOffer:
    state: str
    status: KitStatus | None = None
    error: str = ""

    @property
    def live(self) -> bool:
        return self.state in (KitState.QUEUED, KitState.BUILDING)

    @property
    def downloadable(self) -> bool:
        return self.state in (KitState.READY, OUTDATED)

    @property
    def buildable(self) -> bool:
        return self.state in (NONE, OUTDATED, KitState.FAILED)


def offer_of(folder: Path, status: KitStatus | None, fingerprint: str, now: datetime) -> KitOffer:
    if status is None:
        return KitOffer(NONE)
    if lost := status.lost_reason(now):
        return KitOffer(KitState.FAILED, status, lost)
    if status.state != KitState.READY:
        return KitOffer(status.state, status, status.error)
    if not archive_intact(folder, status):
        gone = "its archive is gone from the kits folder, or was replaced outside the site"
        return KitOffer(KitState.FAILED, status, gone)
    return KitOffer(KitState.READY if status.fingerprint == fingerprint else OUTDATED, status)


def archive_intact(folder: Path, status: KitStatus) -> bool:
    """The archive the ready status describes is in place. Builds replace it by a rename, so a file of
    the recorded size is the whole archive; a different size means someone else replaced it."""
    try:
        return (folder / status.archive).stat().st_size == status.size
    except OSError:
        return False


def kit_offer(folder: Path, name: str, fingerprint: str, now: datetime | None = None) -> KitOffer:
    return offer_of(folder, read_status(folder, name), fingerprint, now or utc_now())


def request_build(
    folder: Path, name: str, workshop: str, cut: str, fingerprint: str, now: datetime | None = None
) -> tuple[KitOffer, bool]:
    """Queue a build unless one is queued or building, or the kit is ready and up to date.

    Returns what the page now offers and whether this request queued the build.
    """
    now = now or utc_now()

    def queue(current: KitStatus | None) -> KitStatus | None:
        if not offer_of(folder, current, fingerprint, now).buildable:
            return None
        stamp = now.isoformat()
        return KitStatus(name, workshop, cut, KitState.QUEUED, uuid.uuid4().hex, since=stamp, updated=stamp)

    status, queued = change_status(folder, name, queue)
    return offer_of(folder, status, fingerprint, now), queued


def _if_owned(build: str, states: tuple[KitState, ...], then):
    def change(current: KitStatus | None) -> KitStatus | None:
        if current is None or current.build != build or current.state not in states:
            return None
        return then(current)

    return change


def claim(folder: Path, name: str, build: str) -> KitStatus | None:
    """The queued request `build`, now building; None when it is not the queued one (done, or replaced)."""
    now = utc_now()
    status, claimed = change_status(
        folder, name, _if_owned(build, (KitState.QUEUED,), lambda s: s.moved_to(KitState.BUILDING, now))
    )
    return status if claimed else None


def say_progress(folder: Path, name: str, build: str, line: str) -> bool:
    """Record a progress line; False when the build is no longer this one's to report on."""
    now = utc_now()
    return change_status(folder, name, _if_owned(build, (KitState.BUILDING,), lambda s: s.said(line, now)))[1]


def finish(folder: Path, name: str, build: str, built: BuiltKit, fingerprint: str) -> bool:
    now = utc_now()

    def ready(status: KitStatus) -> KitStatus:
        archive, size, sha256 = built.archive.name, built.size, built.sha256
        return status.moved_to(
            KitState.READY, now, archive=archive, size=size, sha256=sha256, fingerprint=fingerprint
        )

    return change_status(folder, name, _if_owned(build, (KitState.BUILDING,), ready))[1]


def record_built(
    folder: Path, plan_name: str, workshop: str, cut: str, built: BuiltKit, fingerprint: str
) -> None:
    """A kit built outside the worker (`manage.py workshop_kit`), now the one the page offers.

    It replaces whatever the status said: a request still queued or building is superseded by a
    finished kit of the same plan, and that build stops at its next progress line (say_progress).
    """
    stamp = utc_now().isoformat()
    status = KitStatus(
        plan_name,
        workshop,
        cut,
        KitState.READY,
        uuid.uuid4().hex,
        since=stamp,
        updated=stamp,
        log=(f"built by manage.py workshop_kit: {format_size(built.size)}, sha256 {built.sha256}",),
        archive=built.archive.name,
        size=built.size,
        sha256=built.sha256,
        fingerprint=fingerprint,
    )
    change_status(folder, plan_name, lambda current: status)


def fail(folder: Path, name: str, build: str, error: str) -> bool:
    now = utc_now()
    live = (KitState.QUEUED, KitState.BUILDING)
    failed = _if_owned(build, live, lambda s: s.moved_to(KitState.FAILED, now, error=error))
    return change_status(folder, name, failed)[1]
