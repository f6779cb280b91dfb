"""The trainer's builder: "My workshops", a new workshop, the builder page with its details, deleting one.

Plain forms, no JavaScript: every change is a POST answered by a redirect back to the page
(at the part or item changed); a form with errors is shown again, with what was typed,
beside its field. A workshop that is not the trainer's own is a 404, whoever asks.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Count
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from catalog.workshops.builder_forms import CutForm, PartForm, WorkshopForm
from catalog.workshops.export import workshop_source, workshop_yaml
from catalog.workshops.loader import read_workshop
from catalog.workshops.models import Workshop, WorkshopPart
from catalog.workshops.owned import MAX_CUTS, MAX_PARTS, new_slug, size_errors
from catalog.workshops.uploads import published_catalog


def own_workshop(request, slug: str) -> Workshop:
    return get_object_or_404(Workshop.objects.owned_by(request.user), slug=slug)


def builder_url(workshop: Workshop, anchor: str = "") -> str:
    return reverse("trainer:edit", args=[workshop.slug]) + (f"#{anchor}" if anchor else "")


@login_required
def my_workshops(request):
    mine = (
        Workshop.objects.owned_by(request.user).annotate(item_count=Count("parts__items")).order_by("title")
    )
    curated = Workshop.objects.curated().order_by("title")
    return render(request, "workshops/builder/list.html", {"workshops": mine, "curated": curated})


@login_required
@require_http_methods(["GET", "POST"])
def new_workshop(request):
    form = WorkshopForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            workshop = form.save(commit=False)
            workshop.slug = new_slug(request.user, workshop.title)
            workshop.source, workshop.owner = Workshop.Source.TRAINER, request.user
            workshop.save()
            WorkshopPart.objects.create(workshop=workshop, position=0, title="Part 1")
        messages.success(request, "Workshop created. Rename its first part and add patterns to it.")
        return redirect(builder_url(workshop))
    return render(request, "workshops/builder/new.html", {"form": form})


@login_required
@require_http_methods(["GET", "POST"])
def edit_workshop(request, slug):
    """The builder page; its POST saves the details form at its top."""
    workshop = own_workshop(request, slug)
    form = WorkshopForm(request.POST or None, instance=workshop, prefix="details")
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Details saved.")
        return redirect(builder_url(workshop, "details"))
    return render_builder(request, workshop, details=form)


def render_builder(request, workshop: Workshop, **forms):
    """The builder page; `forms` are bound forms with errors to show in place of fresh ones:
    details, new_part, new_cut, part_forms ({part pk: form}), part_errors ({part pk: message})."""
    shown = Workshop.objects.with_agenda().get(pk=workshop.pk)  # as saved, not as a bound form changed it
    parts = list(shown.parts.all())
    part_forms, part_errors = forms.get("part_forms", {}), forms.get("part_errors", {})
    for part in parts:
        part.form = part_forms.get(part.pk) or PartForm(instance=part, prefix=f"part-{part.pk}")
        part.error = part_errors.get(part.pk, "")
        part.minutes = sum(item.minutes for item in part.items.all())
    context = {
        "workshop": shown,
        "parts": parts,
        "cuts": list(shown.cuts.all()),
        "new_cut": forms.get("new_cut") or CutForm(workshop=shown),
        "can_add_cut": shown.cuts.count() < MAX_CUTS and any(part.items.all() for part in parts),
        "details": forms.get("details") or WorkshopForm(instance=shown, prefix="details"),
        "new_part": forms.get("new_part") or PartForm(prefix="new-part"),
        "can_add_part": len(parts) < MAX_PARTS,
        "problems": export_problems(shown),
    }
    return render(request, "workshops/builder/edit.html", context)


def export_problems(workshop: Workshop) -> list:
    """What would keep this workshop's export from importing again: the loader's own errors."""
    catalog = published_catalog()
    source = workshop_source(workshop)
    file = f"{workshop.slug}.yaml"
    errors: list = []
    if read_workshop(workshop_yaml(source, catalog), workshop.slug, file, catalog, errors):
        errors.extend(size_errors(source, file))
    return errors


@login_required
@require_http_methods(["GET", "POST"])
def delete_workshop(request, slug):
    workshop = own_workshop(request, slug)
    if request.method == "POST":
        workshop.delete()
        messages.success(request, f"“{workshop.title}” was deleted.")
        return redirect("trainer:list")
    return render(request, "workshops/builder/delete.html", {"workshop": workshop})
