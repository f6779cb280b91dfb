"""The builder's items: add one (pick a pattern and a part, then its examples, minutes, depth and notes),
edit one, move it (up, down, to another part), remove it."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Max
from django.http import HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from catalog.models import Pattern
from catalog.workshops import ordering
from catalog.workshops.builder_forms import ItemForm, PatternForm
from catalog.workshops.builder_views import builder_url, own_workshop
from catalog.workshops.models import Workshop, WorkshopItem
from catalog.workshops.owned import MAX_ITEMS
from catalog.workshops.part_views import STEPS


def pattern_examples(pattern: Pattern) -> tuple[str, ...]:
    return tuple(pattern.examples.order_by("position", "slug").values_list("slug", flat=True))


def shown_examples(workshop: Workshop, pattern: Pattern, other_than: int | None = None) -> dict[str, str]:
    """The pattern's examples that other items of the workshop show, each with the part that shows it."""
    items = WorkshopItem.objects.filter(part__workshop=workshop, pattern=pattern).exclude(pk=other_than)
    return {
        slug: f"part “{item.part.title}”" for item in items.select_related("part") for slug in item.examples
    }


@login_required
@require_http_methods(["GET", "POST"])
def add_item(request, slug):
    workshop = own_workshop(request, slug)
    parts = list(workshop.parts.order_by("position"))
    if not parts:
        messages.info(request, "Add a part first: every item belongs to one.")
        return redirect(builder_url(workshop, "new-part"))
    patterns = list(Pattern.objects.published().order_by("name").only("slug", "name", "summary"))
    data = (request.POST if request.method == "POST" else request.GET).copy()
    data.setdefault("part", str(parts[-1].pk))  # a link may name the pattern alone: the last part, then
    choice = PatternForm(data if "pattern" in data else None, patterns=patterns, parts=parts, initial=data)
    context = {"workshop": workshop, "choice": choice}
    if not choice.is_valid():
        return render(request, "workshops/builder/add_pattern.html", context)
    pattern = next(p for p in patterns if p.slug == choice.cleaned_data["pattern"])
    part = next(p for p in parts if p.pk == choice.cleaned_data["part"])
    form = ItemForm(
        request.POST if request.method == "POST" else None,
        examples=pattern_examples(pattern),
        shown=shown_examples(workshop, pattern),
    )
    if request.method == "POST" and form.is_valid():
        if WorkshopItem.objects.filter(part__workshop=workshop).count() >= MAX_ITEMS:
            form.add_error(None, f"A workshop has at most {MAX_ITEMS} items.")
        else:
            item = save_new_item(form, part, pattern)
            messages.success(request, f"“{pattern.name}” added to “{part.title}”.")
            return redirect(builder_url(workshop, f"item-{item.pk}"))
    context.update(form=form, pattern=pattern)
    return render(request, "workshops/builder/add_item.html", context)


@transaction.atomic
def save_new_item(form: ItemForm, part, pattern: Pattern) -> WorkshopItem:
    last = part.items.aggregate(last=Max("position"))["last"]
    item = form.save(commit=False)
    item.part, item.pattern, item.position = part, pattern, 0 if last is None else last + 1
    item.save()
    return item


def own_item(request, slug: str, pk: int) -> WorkshopItem:
    workshop = own_workshop(request, slug)
    return get_object_or_404(
        WorkshopItem.objects.select_related("pattern", "part"), pk=pk, part__workshop=workshop
    )


@login_required
@require_http_methods(["GET", "POST"])
def edit_item(request, slug, pk):
    item = own_item(request, slug, pk)
    workshop = item.part.workshop
    form = ItemForm(
        request.POST or None,
        instance=item,
        examples=pattern_examples(item.pattern),
        shown=shown_examples(workshop, item.pattern, other_than=item.pk),
    )
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, f"“{item.pattern.name}” saved.")
        return redirect(builder_url(workshop, f"item-{item.pk}"))
    return render(
        request, "workshops/builder/edit_item.html", {"workshop": workshop, "item": item, "form": form}
    )


@login_required
@require_POST
def move_item(request, slug, pk):
    item = own_item(request, slug, pk)
    workshop, name = item.part.workshop, item.pattern.name
    if "part" in request.POST:
        target = (
            workshop.parts.filter(pk=request.POST["part"]).first() if request.POST["part"].isdigit() else None
        )
        if target is None:
            return HttpResponseBadRequest("no such part of this workshop")
        if target.pk != item.part_id:
            ordering.move_to_part(item, target)
        messages.success(request, f"“{name}” moved to “{target.title}”.")
    elif request.POST.get("direction") in STEPS:
        if ordering.move_item(item, STEPS[request.POST["direction"]]):
            messages.success(request, f"“{name}” moved {request.POST['direction']}.")
        else:
            messages.info(
                request,
                f"“{name}” is already the {'first' if request.POST['direction'] == 'up' else 'last'} item.",
            )
    else:
        return HttpResponseBadRequest("direction is up or down, or part is a part of this workshop")
    return redirect(builder_url(workshop, f"item-{item.pk}"))


@login_required
@require_POST
def remove_item(request, slug, pk):
    item = own_item(request, slug, pk)
    part = item.part
    with transaction.atomic():
        item.delete()
        ordering.renumber(WorkshopItem, list(part.items.order_by("position")))
    messages.success(request, f"“{item.pattern.name}” removed from “{part.title}”.")
    return redirect(builder_url(part.workshop, f"part-{part.pk}"))
