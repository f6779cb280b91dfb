"""The builder's POSTs on parts (add, rename, move, remove), each answered by a redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Max
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from catalog.workshops import ordering
from catalog.workshops.builder_forms import PartForm
from catalog.workshops.builder_views import builder_url, own_workshop, render_builder
from catalog.workshops.models import WorkshopPart
from catalog.workshops.owned import MAX_PARTS

STEPS = {"up": -1, "down": 1}


def own_part(request, slug: str, pk: int) -> WorkshopPart:
    return get_object_or_404(WorkshopPart, pk=pk, workshop=own_workshop(request, slug))


@login_required
@require_POST
def add_part(request, slug):
    workshop = own_workshop(request, slug)
    form = PartForm(request.POST, prefix="new-part")
    if workshop.parts.count() >= MAX_PARTS:
        form.add_error("title", f"A workshop has at most {MAX_PARTS} parts.")
    if not form.is_valid():
        return render_builder(request, workshop, new_part=form)
    with transaction.atomic():
        last = workshop.parts.aggregate(last=Max("position"))["last"]
        part = form.save(commit=False)
        part.workshop, part.position = workshop, 0 if last is None else last + 1
        part.save()
    messages.success(request, f"Part “{part.title}” added.")
    return redirect(builder_url(workshop, f"part-{part.pk}"))


@login_required
@require_POST
def rename_part(request, slug, pk):
    part = own_part(request, slug, pk)
    form = PartForm(request.POST, instance=part, prefix=f"part-{part.pk}")
    if not form.is_valid():
        return render_builder(request, part.workshop, part_forms={part.pk: form})
    form.save()
    messages.success(request, f"Part renamed “{part.title}”.")
    return redirect(builder_url(part.workshop, f"part-{part.pk}"))


@login_required
@require_POST
def move_part(request, slug, pk):
    part = own_part(request, slug, pk)
    step = STEPS.get(request.POST.get("direction", ""))
    if step is None:
        return HttpResponseBadRequest("direction is up or down")
    if ordering.move_part(part, step):
        messages.success(request, f"Part “{part.title}” moved {request.POST['direction']}.")
    else:
        messages.info(request, f"Part “{part.title}” is already the {'first' if step < 0 else 'last'}.")
    return redirect(builder_url(part.workshop, f"part-{part.pk}"))


@login_required
@require_POST
def remove_part(request, slug, pk):
    part = own_part(request, slug, pk)
    count = part.items.count()
    if count:
        error = f"Move or remove its {count} item{'s' if count != 1 else ''} first."
        return render_builder(request, part.workshop, part_errors={part.pk: error})
    with transaction.atomic():
        part.delete()
        ordering.renumber(WorkshopPart, list(part.workshop.parts.order_by("position")))
    messages.success(request, f"Part “{part.title}” removed.")
    return redirect(builder_url(part.workshop, "parts"))
