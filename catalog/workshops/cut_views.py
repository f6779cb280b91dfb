"""The builder's POSTs on cuts (add, remove), each answered by a redirect."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Max
from django.shortcuts import get_object_or_404, redirect
from django.views.decorators.http import require_POST

from catalog.workshops.builder_forms import CutForm
from catalog.workshops.builder_views import builder_url, own_workshop, render_builder
from catalog.workshops.owned import MAX_CUTS


@login_required
@require_POST
def add_cut(request, slug):
    workshop = own_workshop(request, slug)
    form = CutForm(request.POST, workshop=workshop)
    if workshop.cuts.count() >= MAX_CUTS:
        form.add_error(None, f"A workshop has at most {MAX_CUTS} cuts.")
    if not form.is_valid():
        return render_builder(request, workshop, new_cut=form)
    data = form.cleaned_data
    with transaction.atomic():
        last = workshop.cuts.aggregate(last=Max("position"))["last"]
        cut = workshop.cuts.create(
            position=0 if last is None else last + 1,
            name=data["name"],
            title=data["title"],
            duration_minutes=data["duration"],
            drop_depths=data["drop_depths"],
            drop_patterns=data["drop_patterns"],
        )
    messages.success(request, f"Cut “{cut.title}” added.")
    return redirect(builder_url(workshop, "cuts"))


@login_required
@require_POST
def remove_cut(request, slug, pk):
    workshop = own_workshop(request, slug)
    cut = get_object_or_404(workshop.cuts, pk=pk)
    cut.delete()
    messages.success(request, f"Cut “{cut.title}” removed.")
    return redirect(builder_url(workshop, "cuts"))
