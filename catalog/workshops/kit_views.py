"""A workshop's offline kit on the site: its page (state, progress, "Build the offline kit"), its download.

The workshop page is cached for everyone and carries no CSRF token, so its build button is a GET
to the kit page, which is never cached and carries one (with JavaScript, verify-again.js fetches a
token and posts at once, as "Verify again" does). Building costs a minute of CPU and a kit's disk,
so only a logged-in trainer may start one; whoever may see the workshop may download a ready kit.
"""

from __future__ import annotations

import os

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from kombu.exceptions import OperationalError

from catalog.kits.building import kits_folder
from catalog.kits.builds import KitOffer, fail, kit_offer, request_build
from catalog.kits.fingerprint import plan_fingerprint
from catalog.kits.plan import KitPlan, NoSuchKit, plan_for
from catalog.serving import page_cache
from catalog.workshops.owned import visible_workshop
from worker.kit_tasks import build_workshop_kit


def kit_plan(request: HttpRequest, slug: str, cut_name: str) -> KitPlan:
    """The plan of a workshop the visitor may see (a trainer's own only for its owner), or of its cut."""
    try:
        visible_workshop(request, slug)
    except Http404:
        raise NoSuchKit(f"no workshop '{slug}'") from None
    return plan_for(slug, cut_name)


def kit_url(plan: KitPlan) -> str:
    url = reverse("workshops:kit", args=[plan.workshop.slug])
    return f"{url}?cut={plan.cut.name}" if plan.cut else url


def not_found(request: HttpRequest, slug: str, reason: str) -> HttpResponse:
    return render(request, "workshops/kit_missing.html", {"slug": slug, "reason": reason}, status=404)


@never_cache
@require_http_methods(["GET", "POST"])
def kit_page(request, slug):
    """GET: the kit's state, its progress while it builds, its download when ready. POST: build it."""
    cut = (request.POST if request.method == "POST" else request.GET).get("cut", "")
    try:
        plan = kit_plan(request, slug, cut)
    except NoSuchKit as error:
        return not_found(request, slug, str(error))
    fingerprint = plan_fingerprint(plan)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(kit_url(plan))
        offer, queued = request_build(kits_folder(), plan.name, slug, cut, fingerprint)
        messages.info(request, send_build(offer) if queued else why_not_queued(offer))
        return redirect(kit_url(plan))
    offer = kit_offer(kits_folder(), plan.name, fingerprint)
    context = {"plan": plan, "offer": offer, "workshop": plan.workshop, "cut": plan.cut}
    return render(request, "workshops/kit.html", context)


def send_build(offer: KitOffer) -> str:
    """Wake a worker for the build just queued; the cached workshop page then shows it queued."""
    status = offer.status
    try:
        # At once, not on commit: what the worker claims is the status file, written already.
        build_workshop_kit.delay(status.name, status.build)
    except OperationalError as error:
        fail(kits_folder(), status.name, status.build, f"the worker's queue could not be reached: {error}")
        return "The build could not be queued: the worker's queue is unreachable."
    finally:
        page_cache.bump_generation()
    return "Queued: a worker builds the kit; this page follows its progress."


def why_not_queued(offer: KitOffer) -> str:
    if offer.live:
        return f"A build of this kit is already {offer.state}: no second one was queued."
    return "The kit is ready and up to date: there is nothing to build."


@never_cache
@require_GET
def download_kit(request, slug):
    """The ready archive as an attachment; a kit being built, or never built, is not served."""
    cut = request.GET.get("cut", "")
    try:
        plan = kit_plan(request, slug, cut)
    except NoSuchKit as error:
        return not_found(request, slug, str(error))
    folder = kits_folder()
    offer = kit_offer(folder, plan.name, plan_fingerprint(plan))
    if not offer.downloadable:
        state = "never built" if offer.status is None else offer.state
        return not_found(request, slug, f"the kit '{plan.name}' is not ready to download ({state})")
    try:
        archive = (folder / offer.status.archive).open("rb")
    except FileNotFoundError:
        return not_found(request, slug, f"the kit '{plan.name}' is gone from the kits folder")
    if os.fstat(archive.fileno()).st_size != offer.status.size:  # replaced since the status was read
        archive.close()
        return not_found(request, slug, f"the kit '{plan.name}' was replaced while it was asked for")
    return FileResponse(
        archive, as_attachment=True, filename=offer.status.archive, content_type="application/gzip"
    )
