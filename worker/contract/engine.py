"""What a worker tells the site about its engine with every beat; /status/ and the set-up notice read it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class EngineReport:
    """Every field defaults: a report says as much as the check got to (no version when the engine
    did not answer), and a worker of an older version reports fewer fields."""

    ok: bool = True
    problem: str = ""
    fix: str = ""  # the one command that fixes it, as this machine's user types it
    missing_bases: tuple[str, ...] = ()
    version: str = ""
    api_version: str = ""
    os: str = ""
    arch: str = ""

    @property
    def answers(self) -> bool:
        return bool(self.version)
