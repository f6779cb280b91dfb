"""A workshop's slides, and presenting them live: start, the presenter's deck, its moves, the follow page.

The slides page is public and cached like every page. Presenting live needs an account: the
presenter's deck posts each move, and only that presenter may move it. Attendees open the follow
link (its token is the only key) and poll a small JSON position; it names no one.
"""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import HttpRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from catalog.serving.page_cache import page_cached
from catalog.workshops.deck import load_deck
from catalog.workshops.models import Workshop, WorkshopCut
from catalog.workshops.presentations import Presentation
from catalog.workshops.presenting import move_limit, parse_slide, poll_limit


@page_cached
def slides(request, slug):
    deck = load_deck(slug, request.GET.get("cut", ""))
    return render(request, "workshops/slides.html", {"deck": deck, "mode": "slides", "show_notes": True})


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def start(request, slug):
    """GET: what presenting live does, and the presenter's running presentations. POST: start one."""
    cuts = Prefetch("cuts", queryset=WorkshopCut.objects.order_by("position"))
    workshop = get_object_or_404(Workshop.objects.published().prefetch_related(cuts), slug=slug)
    names = {cut.name for cut in workshop.cuts.all()}
    chosen = (request.POST if request.method == "POST" else request.GET).get("cut", "")
    bad_cut = bool(chosen) and chosen not in names
    if request.method == "POST" and not bad_cut:
        return redirect(Presentation.objects.start(workshop, chosen, request.user))
    context = {
        "workshop": workshop,
        "chosen": "" if bad_cut else chosen,
        "bad_cut": bad_cut,
        "running": Presentation.objects.of(request.user).filter(workshop=workshop),
    }
    return render(request, "workshops/slides_start.html", context, status=400 if bad_cut else 200)


def own_presentation(request: HttpRequest, token: str) -> Presentation:
    presentation = get_object_or_404(Presentation.objects.select_related("workshop"), token=token)
    if presentation.presenter_id != request.user.pk:
        raise PermissionDenied("only its presenter moves a presentation")
    return presentation


@never_cache
@login_required
@require_GET
def presenter(request, token):
    presentation = own_presentation(request, token)
    deck = load_deck(presentation.workshop.slug, presentation.cut_name, lost_cut_shows_all=True)
    context = {
        "deck": deck,
        "mode": "presenter",
        "show_notes": True,
        "presentation": presentation,
        "follow_link": request.build_absolute_uri(presentation.follow_url),
    }
    return render(request, "workshops/slides.html", context)


@never_cache
@require_POST
def move(request, token):
    """The presenter's deck says where it is: 403 for anyone else, 429 past the limit, 400 for nonsense."""
    presentation = get_object_or_404(Presentation.objects.only("pk", "presenter_id"), token=token)
    if not request.user.is_authenticated or presentation.presenter_id != request.user.pk:
        return JsonResponse({"error": "only its presenter moves a presentation"}, status=403)
    retry_after = move_limit(token)
    if retry_after:
        return too_many(retry_after)
    slide = parse_slide(request.POST.get("slide"))
    if slide is None:
        return JsonResponse({"error": "slide is a number from 1"}, status=400)
    presentation.move_to(slide)
    return JsonResponse({"slide": slide})


@login_required
@require_POST
def end(request, token):
    presentation = own_presentation(request, token)
    slug = presentation.workshop.slug
    presentation.delete()
    return redirect("workshops:present", slug)


@page_cached
def follow(request, token):
    presentation = get_object_or_404(Presentation.objects.select_related("workshop"), token=token)
    deck = load_deck(presentation.workshop.slug, presentation.cut_name, lost_cut_shows_all=True)
    context = {"deck": deck, "mode": "follow", "show_notes": False, "presentation": presentation}
    return render(request, "workshops/slides.html", context)


@never_cache
@require_GET
def position(request, token):
    """Where the presenter is, for the follow page's poll: the slide number and nothing else."""
    retry_after = poll_limit(request)
    if retry_after:
        return too_many(retry_after)
    slide = Presentation.objects.filter(token=token).values_list("current_slide", flat=True).first()
    if slide is None:
        return JsonResponse({"ended": True}, status=404)
    return JsonResponse({"slide": slide})


def too_many(retry_after: int) -> JsonResponse:
    response = JsonResponse({"error": "too many requests", "retry_after": retry_after}, status=429)
    response["Retry-After"] = str(retry_after)
    return response
