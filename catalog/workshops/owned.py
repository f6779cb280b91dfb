"""A trainer's own workshops: who may open one, the slug a new one gets, its size caps, saving one.

Uploads, copies of curated workshops and the builder's own steps all make rows through here,
so a trainer's workshop has one shape whichever way it was made.
"""

from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.text import slugify

from catalog.content.sources import ContentError
from catalog.models import Pattern
from catalog.workshops.importer import save_workshop
from catalog.workshops.models import Workshop
from catalog.workshops.sources import WorkshopSource

# Generous for a day in a room, small enough that a page and a handout stay quick to make.
MAX_PARTS, MAX_ITEMS, MAX_CUTS = 20, 100, 10
SLUG_BASE_LIMIT = 70  # leaves room for "-<n>" within the 80 characters of a slug


def new_slug(owner, title: str) -> str:
    """The owner's name and the title, unique among all workshops; a curated file rarely starts that way."""
    words = slugify(f"{owner.get_username()} {title}").replace("_", "-")
    base = "-".join(word for word in words.split("-") if word)[:SLUG_BASE_LIMIT].strip("-") or "workshop"
    taken = set(Workshop.objects.filter(slug__startswith=base).values_list("slug", flat=True))
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def size_errors(source: WorkshopSource, file: str) -> list[ContentError]:
    """The caps a trainer's workshop keeps, as errors at the list they are about."""
    items = sum(len(part.items) for part in source.parts)
    found = []
    if len(source.parts) > MAX_PARTS:
        found.append(ContentError(file, "parts", f"at most {MAX_PARTS} parts, not {len(source.parts)}"))
    if items > MAX_ITEMS:
        found.append(ContentError(file, "parts", f"at most {MAX_ITEMS} items in all, not {items}"))
    if len(source.cuts) > MAX_CUTS:
        found.append(ContentError(file, "cuts", f"at most {MAX_CUTS} cuts, not {len(source.cuts)}"))
    return found


@transaction.atomic
def save_as_own(source: WorkshopSource, owner) -> Workshop:
    """A new workshop of the owner's, written from a checked source (an upload, or a copy)."""
    workshop = Workshop(slug=new_slug(owner, source.title), source=Workshop.Source.TRAINER, owner=owner)
    patterns = dict(Pattern.objects.filter(slug__in=_patterns(source)).values_list("slug", "id"))
    save_workshop(workshop, source, patterns)
    return workshop


def _patterns(source: WorkshopSource) -> set[str]:
    return {item.pattern for part in source.parts for item in part.items}


def visible_workshop(request, slug: str, queryset=None) -> Workshop:
    """A published curated workshop for anyone, a trainer's own for its owner only; else a 404.

    The user is looked at only for a trainer's workshop: reading the session marks the
    response as varying by cookie, which would keep curated pages out of the page cache.
    """
    queryset = Workshop.objects.all() if queryset is None else queryset
    workshop = get_object_or_404(queryset.published(), slug=slug)
    if workshop.source != Workshop.Source.CURATED and workshop.owner_id != request.user.pk:
        raise Http404("no such workshop")
    return workshop
