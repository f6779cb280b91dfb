"""Order of parts and items in a trainer's workshop: move up or down (items across parts), renumber.

Positions are unique per part (and per workshop for parts), and PostgreSQL checks a unique
constraint row by row within one UPDATE; so renumbering first lifts every row above any
position in use, then writes the final ones, and no two rows ever meet on a position.
"""

from django.db import transaction
from django.db.models import F, Max

from catalog.workshops.models import WorkshopItem, WorkshopPart

LIFT = 10_000  # above any position a capped workshop reaches, below the column's 32767


def renumber(model, rows: list) -> None:
    """Positions 0, 1, ... in the list's order."""
    model.objects.filter(pk__in=[row.pk for row in rows]).update(position=F("position") + LIFT)
    for index, row in enumerate(rows):
        row.position = index
    model.objects.bulk_update(rows, ["position"])


@transaction.atomic
def move_part(part: WorkshopPart, step: int) -> bool:
    """One place up (-1) or down (+1); False when it is already at that end."""
    parts = list(part.workshop.parts.select_for_update().order_by("position"))
    index = next(i for i, each in enumerate(parts) if each.pk == part.pk)
    if not 0 <= index + step < len(parts):
        return False
    parts.insert(index + step, parts.pop(index))
    renumber(WorkshopPart, parts)
    return True


@transaction.atomic
def move_item(item: WorkshopItem, step: int) -> bool:
    """One place up or down; past the first or last item of its part, to the end or start of the next part."""
    items = list(item.part.items.select_for_update().order_by("position"))
    index = next(i for i, each in enumerate(items) if each.pk == item.pk)
    if 0 <= index + step < len(items):
        items.insert(index + step, items.pop(index))
        renumber(WorkshopItem, items)
        return True
    parts = list(item.part.workshop.parts.order_by("position"))
    at = next(i for i, each in enumerate(parts) if each.pk == item.part_id)
    if not 0 <= at + step < len(parts):
        return False
    move_to_part(item, parts[at + step], first=step > 0)
    return True


@transaction.atomic
def move_to_part(item: WorkshopItem, part: WorkshopPart, first: bool = False) -> None:
    """To the end of another part of the same workshop (or its start), closing the gap it leaves."""
    left = item.part
    target = list(part.items.select_for_update().order_by("position"))
    item.part = part
    last = part.items.aggregate(last=Max("position"))["last"]
    item.position = 0 if last is None else last + 1  # free in the target part
    item.save(update_fields=["part", "position"])
    renumber(WorkshopItem, [item, *target] if first else [*target, item])
    renumber(WorkshopItem, list(left.items.order_by("position")))
