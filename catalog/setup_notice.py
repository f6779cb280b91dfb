"""The one notice every page shows while examples cannot be verified here, and the command that fixes it.

It reads what the newest live worker last reported of its engine (worker/engine_check.py); the
site itself never calls Docker. A worker bumps the page generation when its report changes, so
cached pages carry the notice exactly while it is true.
"""

from dataclasses import dataclass

from django.http import HttpRequest
from django.utils import timezone
from django.utils.functional import SimpleLazyObject

from catalog.models import ServiceBeat
from catalog.service_status import STALE_WORKER


@dataclass(frozen=True)
class SetupNotice:
    problem: str
    fix: str


def current_notice() -> SetupNotice | None:
    beat = ServiceBeat.objects.filter(role=ServiceBeat.Role.WORKER).order_by("-seen_at").first()
    if beat is None or timezone.now() - beat.seen_at > STALE_WORKER:
        return None  # no live worker: /status/ says so; nothing is known of an engine
    engine = beat.info.get("engine") if isinstance(beat.info, dict) else None
    if not isinstance(engine, dict) or engine.get("ok", True):
        return None
    return SetupNotice(problem=str(engine.get("problem", "")), fix=str(engine.get("fix", "")))


def setup_notice(request: HttpRequest) -> dict:
    """Context processor: `setup_notice`, read from the database only if a template shows it."""
    return {"setup_notice": SimpleLazyObject(current_notice)}
