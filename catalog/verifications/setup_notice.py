"""The one notice every page shows while examples cannot be verified here, and the command that fixes it.

It reads what the newest live worker last reported of its engine (worker/engine/check.py); the
site itself never calls Docker. A worker bumps the page generation when its report changes, so
cached pages carry the notice exactly while it is true.
"""

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from catalog.verifications.status import latest_engine_state


@dataclass(frozen=True)
class SetupNotice:
    problem: str
    fix: str


def current_notice() -> SetupNotice | None:
    engine = latest_engine_state()
    if engine is None or engine.report.ok:
        return None  # no live worker (/status/ says so; nothing is known of an engine), or all is well
    return SetupNotice(problem=engine.report.problem, fix=engine.report.fix)


def setup_notice(request: HttpRequest) -> dict:
    """Context processor: `setup_notice`, read from the database only if a template shows it."""
    return {"setup_notice": SimpleLazyObject(current_notice)}
