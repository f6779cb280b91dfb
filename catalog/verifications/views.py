"""Verification pages: "Verify again", the live log, the status badge, the CSRF token and /status/.

Pattern pages are cached whole and shared by every visitor, so they carry no CSRF
token. Their "Verify again" form is a GET to this module's confirmation page, which
is never cached and carries the token; with JavaScript, verify-again.js fetches a
token from `csrf-token.json` (never cached either) and posts the form directly.
"""

import time
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from catalog.models import Example, Pattern, ServiceBeat, Verification
from catalog.serving import page_cache
from catalog.serving.page_cache import page_cached
from catalog.verifications.charts import status_badge_svg
from catalog.verifications.latest import pattern_status
from catalog.verifications.live_log import log_since
from catalog.verifications.queueing import request_verification
from catalog.verifications.result import STATUS_LABELS, ago, format_duration
from catalog.verifications.status import STALE_WORKER, latest_engine_state

RATE_LIMIT = 5  # presses of "Verify again" per client address ...
RATE_WINDOW = 600  # ... within this many seconds
LATE_REAPER_PASSES = 5  # missed passes of the periodic reaper before the page calls it late
BADGE_WORDS = {
    "passed": "passed",
    "failed": "failed",
    "running": "running",
    "waiting": "waiting",
    "error": "error",
    "none": "not verified",
}


def client_address(request: HttpRequest) -> str:
    # REMOTE_ADDR only: a forwarded-for header is whatever the client wants it to be
    # unless a trusted proxy sets it, and this site does not know its proxies.
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def take_rate_slot(request: HttpRequest) -> int:
    """Count this press; returns 0 when allowed, else the seconds until the next one is."""
    key = f"verify-presses:{client_address(request)}"
    now = time.time()
    presses = [moment for moment in cache.get(key, []) if moment > now - RATE_WINDOW]
    if len(presses) >= RATE_LIMIT:
        return max(1, int(presses[0] + RATE_WINDOW - now) + 1)
    cache.set(key, [*presses, now], RATE_WINDOW)
    return 0


def published_example(slug: str, example: str) -> Example:
    return get_object_or_404(
        Example.objects.select_related("pattern"), pattern__slug=slug, pattern__published=True, slug=example
    )


def host_access_blocked(example: Example) -> bool:
    return bool(example.host_access) and not settings.VERIFY_ALLOW_HOST_ACCESS


@never_cache
@require_http_methods(["GET", "POST"])
def verify_example(request, slug, example):
    """GET: a confirmation page with a CSRF token. POST: queue a run, or join the live one."""
    example = published_example(slug, example)
    context = {"example": example, "pattern": example.pattern}
    if host_access_blocked(example):
        context["reason"] = "host-access"
        return render(request, "catalog/verify_refused.html", context, status=409)
    if request.method == "GET":
        live = example.verifications.active().first()
        return render(request, "catalog/verify_confirm.html", {**context, "live": live})
    retry_after = take_rate_slot(request)
    if retry_after:
        context.update(reason="rate", retry_minutes=max(1, round(retry_after / 60)), limit=RATE_LIMIT)
        response = render(request, "catalog/verify_refused.html", context, status=429)
        response["Retry-After"] = str(retry_after)
        return response
    _, created = request_verification(example)
    # The panel must say "queued" at once, not when the worker finishes: new page generation.
    transaction.on_commit(page_cache.bump_generation)
    outcome = "queued" if created else "joined"
    url = example.pattern.get_absolute_url()
    return redirect(f"{url}?{outcome}={example.slug}#verification-{example.slug}")


@never_cache
@require_GET
def csrf_token(request):
    """A fresh CSRF token (and its cookie) for the "Verify again" button on a cached page."""
    return JsonResponse({"token": get_token(request)})


@never_cache
@require_GET
def verification_log(request, pk):
    """The live state of a run and the log text after `offset` (an offset this view gave earlier)."""
    fields = ("state", "attempt", "detail", "log", "failure_reason", "waiting_since", "retry_at")
    verification = get_object_or_404(Verification.objects.only(*fields), pk=pk)
    return JsonResponse(
        {
            "id": verification.pk,
            "state": verification.state,
            "state_label": STATUS_LABELS.get(verification.state, verification.state),
            "attempt": verification.attempt,
            "waiting_since": verification.waiting_since,
            "retry_at": verification.retry_at,
            "detail": verification.detail,
            "finished": not verification.is_active,
            **log_since(request, verification.log, verification.attempt),
        }
    )


@page_cached
def pattern_badge(request, slug):
    """An embeddable "verified | passed" badge, cached like the pages and dropped with them."""
    pattern = get_object_or_404(Pattern.objects.published(), slug=slug)
    status = pattern_status(pattern)
    response = HttpResponse(
        status_badge_svg("verified", BADGE_WORDS[status], status), content_type="image/svg+xml; charset=utf-8"
    )
    response["Cache-Control"] = "max-age=60"
    return response


def reaper_interval() -> timedelta:
    schedule = settings.CELERY_BEAT_SCHEDULE.get("reap-verifications", {}).get("schedule", 60)
    return schedule if isinstance(schedule, timedelta) else timedelta(seconds=float(schedule))


@never_cache
def status(request):
    """Workers seen, their engine as the newest live one last saw it, the queue and the reaper: never cached.

    The engine is not asked here (the site makes no Docker call): a worker asks it with every beat.
    """
    now = timezone.now()
    beats = list(ServiceBeat.objects.all())
    workers = [
        {"beat": beat, "ago": ago(beat.seen_at, now), "stale": now - beat.seen_at > STALE_WORKER}
        for beat in beats
        if beat.role == ServiceBeat.Role.WORKER
    ]
    reapers = [beat for beat in beats if beat.role == ServiceBeat.Role.REAPER]
    reaper = max(reapers, key=lambda beat: beat.seen_at, default=None)
    engine = latest_engine_state()
    counts = Verification.objects.aggregate(
        queued=Count("pk", filter=Q(state=Verification.State.QUEUED)),
        waiting=Count("pk", filter=Q(state=Verification.State.WAITING)),
        running=Count("pk", filter=Q(state__in=Verification.CLAIMED_STATES)),
    )
    recent = (
        Verification.objects.select_related("example__pattern")
        .defer("log", "result", "example__scenario", "example__pattern__body_html")
        .order_by("-queued_at", "-pk")[:20]
    )
    context = {
        "workers": workers,
        "live_workers": sum(not worker["stale"] for worker in workers),
        "reaper": reaper,
        "reaper_ago": ago(reaper.seen_at, now) if reaper else "",
        "reaper_interval": reaper_interval(),
        "reaper_late": reaper is not None and now - reaper.seen_at > LATE_REAPER_PASSES * reaper_interval(),
        "engine": engine,
        "engine_ago": ago(engine.seen_at, now) if engine else "",
        "counts": counts,
        "recent": [
            {"verification": row, "duration": format_duration(row.duration), "ago": ago(row.queued_at, now)}
            for row in recent
        ],
        "stale_minutes": int(STALE_WORKER.total_seconds() // 60),
        "allow_host_access": settings.VERIFY_ALLOW_HOST_ACCESS,
    }
    return render(request, "catalog/status.html", context)
