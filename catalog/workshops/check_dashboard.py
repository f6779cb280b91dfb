"""What a readiness check's dashboard shows: one row per attendee machine, and the room's totals on top."""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from catalog.verifications.result import ago
from catalog.workshops.check_report import Check, ItemResult, Report
from catalog.workshops.check_rooms import MachineReport
from worker.contract.quantities import format_size

# Checks whose failure the trainer can do little about on the day, so the row is marked for a
# word with the attendee: images of another architecture, or a disk too full for them.
FLAGGED_CHECKS = ("architecture", "disk")


@dataclass(frozen=True)
class MachineRow:
    report: Report
    received_at: datetime

    @property
    def nickname(self) -> str:
        return self.report.nickname

    @property
    def platform(self) -> str:
        machine = self.report.machine
        return " ".join(part for part in (machine.os, machine.arch) if part) or "unknown"

    @property
    def engine(self) -> str:
        machine = self.report.machine
        if not machine.engine_version:
            return "no engine"
        where = "/".join(part for part in (machine.engine_os, machine.engine_arch) if part)
        return f"{machine.engine_version} ({where})" if where else machine.engine_version

    @property
    def free_disk(self) -> str:
        free = self.report.machine.free_disk_mb
        return "unknown" if free is None else format_size(free * 2**20)

    @property
    def failed_checks(self) -> tuple[Check, ...]:
        return tuple(check for check in self.report.checks if check.status == "failed")

    @property
    def flags(self) -> tuple[Check, ...]:
        return tuple(check for check in self.failed_checks if check.name in FLAGGED_CHECKS)

    @property
    def failed_items(self) -> tuple[ItemResult, ...]:
        return tuple(item for item in self.report.items if item.status != "passed")

    @property
    def ready(self) -> bool:
        return not self.failed_checks and not self.failed_items

    @property
    def received_ago(self) -> str:
        return ago(self.received_at)


@dataclass(frozen=True)
class Totals:
    machines: int
    ready: int
    flagged: int
    items_passed: int
    items_failed: int

    @property
    def not_ready(self) -> int:
        return self.machines - self.ready


def machine_rows(reports: Iterable[MachineReport]) -> tuple[MachineRow, ...]:
    return tuple(MachineRow(row.parsed, row.received_at) for row in reports)


def totals_of(rows: tuple[MachineRow, ...]) -> Totals:
    return Totals(
        machines=len(rows),
        ready=sum(row.ready for row in rows),
        flagged=sum(bool(row.flags) for row in rows),
        items_passed=sum(row.report.passed for row in rows),
        items_failed=sum(row.report.failed for row in rows),
    )
