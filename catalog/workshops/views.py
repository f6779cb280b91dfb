"""The workshop pages: the list of curated workshops, and one workshop (curated, or a trainer's own for its
owner) with its agenda, readiness and offline kit."""

from django.db.models import Count
from django.http import Http404
from django.shortcuts import render

from catalog.kits.building import kits_folder
from catalog.kits.builds import kit_offer
from catalog.kits.fingerprint import plan_fingerprint
from catalog.kits.plan import plan_kit
from catalog.serving.page_cache import page_cached
from catalog.workshops.agenda import build_agenda
from catalog.workshops.evidence import gather_evidence
from catalog.workshops.freeze import freeze_state
from catalog.workshops.models import Workshop
from catalog.workshops.owned import visible_workshop
from catalog.workshops.preflight_models import Preflight
from catalog.workshops.preflight_report import latest_report
from catalog.workshops.readiness import readiness_of


@page_cached
def workshop_list(request):
    workshops = Workshop.objects.curated().annotate(item_count=Count("parts__items"))
    return render(request, "workshops/list.html", {"workshops": workshops})


@page_cached
def workshop_detail(request, slug):
    workshop = visible_workshop(request, slug, Workshop.objects.with_agenda())
    cuts = list(workshop.cuts.all())
    name = request.GET.get("cut", "")
    cut = next((cut for cut in cuts if cut.name == name), None)
    if name and cut is None:
        raise Http404("no such cut of this workshop")
    items = [item for part in workshop.parts.all() for item in part.items.all()]
    evidence = gather_evidence({item.pattern_id for item in items})
    agenda = build_agenda(workshop, evidence, cut)
    kit = plan_kit(workshop, agenda, evidence)
    context = {
        "workshop": workshop,
        "cuts": cuts,
        "cut": cut,
        "agenda": agenda,
        "readiness": readiness_of(agenda.items),
        # The trainer's pre-flight of what is shown, and the freeze (templates/workshops/event_day.html).
        "preflight": latest_report(Preflight.objects.latest_of(workshop, cut)),
        "frozen": freeze_state(workshop),
        "kit": kit,
        # A small file beside the kit, not the database: the worker writes it (catalog/kits/status.py).
        "kit_offer": kit_offer(kits_folder(), kit.name, plan_fingerprint(kit)),
    }
    return render(request, "workshops/detail.html", context)
