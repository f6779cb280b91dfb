"""A trainer's buttons for the event: "Check on this engine now", "Freeze for this event" and unfreeze.

The workshop page is cached and the same for every visitor, so its forms carry no CSRF token: without
JavaScript they are a GET to the confirmation page here, which has one; with it, verify-again.js
fetches a token and posts at once. Never cached.

Who may: any logged-in trainer checks a workshop they can open (a curated one, or their own): a
pre-flight only asks for cold runs, joined when already live. Freezing decides what every visitor's
kit is built from, so a curated workshop is frozen by staff only, a trainer's own by its owner.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from catalog.serving import page_cache
from catalog.workshops.freeze import freeze_now
from catalog.workshops.freeze_models import WorkshopFreeze
from catalog.workshops.models import Workshop
from catalog.workshops.owned import visible_workshop
from catalog.workshops.preflight import start_preflight
from catalog.workshops.preflight_models import Preflight
from catalog.workshops.preflight_report import latest_report

CONFIRM = "workshops/preflight_confirm.html"
PROGRESS = "workshops/preflight_progress.html"


def workshop_and_cut(request, slug: str):
    workshop = visible_workshop(request, slug, Workshop.objects.with_agenda())
    name = request.POST.get("cut", request.GET.get("cut", ""))
    cut = next((cut for cut in workshop.cuts.all() if cut.name == name), None)
    if name and cut is None:
        raise Http404("no such cut of this workshop")
    return workshop, cut


def page_url(workshop: Workshop, cut, anchor: str) -> str:
    query = f"?cut={cut.name}" if cut else ""
    return f"{workshop.get_absolute_url()}{query}#{anchor}"


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def check_now(request, slug):
    """GET: what a pre-flight does, to confirm. POST: queue it and go back to the page that shows it."""
    workshop, cut = workshop_and_cut(request, slug)
    if request.method == "GET":
        latest = Preflight.objects.latest_of(workshop, cut)
        return render(
            request, CONFIRM, {"workshop": workshop, "cut": cut, "action": "check", "latest": latest}
        )
    start_preflight(workshop, cut, request.user)
    return redirect(page_url(workshop, cut, "preflight"))


@never_cache
@require_http_methods(["GET"])
def progress(request, slug):
    """The newest pre-flight's progress alone, for the workshop page to put in place while it runs.

    Anyone who may open the workshop sees it there; one query for the pre-flight, one for its runs.
    The fragment says when it is finished (data-finished), and the page then stops asking.
    """
    workshop, cut = workshop_and_cut(request, slug)
    report = latest_report(Preflight.objects.latest_of(workshop, cut))
    context = {"workshop": workshop, "cut": cut, "preflight": report}
    response = render(request, PROGRESS, context)
    response["X-Finished"] = "1" if report is None or report.finished else "0"
    return response


def may_freeze(user, workshop: Workshop) -> bool:
    if workshop.source == Workshop.Source.CURATED:
        return user.is_staff
    return workshop.owner_id == user.pk


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def freeze(request, slug):
    """GET: what freezing keeps, to confirm. POST: freeze (again) every item's examples as they are now."""
    return _change_freeze(request, slug, "freeze", lambda workshop: freeze_now(workshop, request.user))


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def unfreeze(request, slug):
    return _change_freeze(
        request, slug, "unfreeze", lambda workshop: WorkshopFreeze.objects.filter(workshop=workshop).delete()
    )


def _change_freeze(request, slug: str, action: str, change) -> HttpResponse:
    """Who may, the page that confirms without JavaScript, then the change; the cached page says it."""
    workshop, _ = workshop_and_cut(request, slug)
    if not may_freeze(request.user, workshop):
        raise PermissionDenied(
            f"a curated workshop is {action}d by the catalog's staff, a trainer's by its owner"
        )
    if request.method == "GET":
        frozen = WorkshopFreeze.objects.filter(workshop=workshop).first()
        return render(request, CONFIRM, {"workshop": workshop, "action": action, "frozen": frozen})
    change(workshop)
    transaction.on_commit(page_cache.bump_generation)  # the cached page says "Frozen on", or no more
    return redirect(page_url(workshop, None, "freeze"))
