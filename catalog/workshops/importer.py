"""Write checked curated workshops into the database: upsert by slug, leave unchanged ones alone, unpublish
the ones whose file is gone. Runs inside sync_patterns' transaction, after the patterns are saved."""

import datetime
from dataclasses import dataclass

from catalog.content.rendering import render_markdown
from catalog.content.sources import ContentError
from catalog.models import Pattern
from catalog.workshops.loader import Workshops
from catalog.workshops.models import Workshop, WorkshopCut, WorkshopItem, WorkshopPart
from catalog.workshops.sources import WorkshopSource


@dataclass
class WorkshopCounts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)


def taken_slugs(found: Workshops) -> tuple[ContentError, ...]:
    """A file whose slug a trainer's own workshop already has: the file must be renamed, not merged."""
    slugs = [source.slug for source in found.workshops]
    taken = Workshop.objects.filter(slug__in=slugs, source=Workshop.Source.TRAINER).order_by("slug")
    return tuple(
        ContentError(found.file(slug), "", f"the slug {slug!r} is taken by a trainer's own workshop")
        for slug in taken.values_list("slug", flat=True)
    )


def save_workshops(sources: tuple[WorkshopSource, ...]) -> WorkshopCounts:
    counts = WorkshopCounts()
    existing = {w.slug: w for w in Workshop.objects.filter(source=Workshop.Source.CURATED)}
    patterns = dict(Pattern.objects.values_list("slug", "id"))
    for source in sources:
        current = existing.get(source.slug)
        if current and current.published and current.content_hash == source.content_hash:
            counts.unchanged += 1
            continue
        workshop = current or Workshop(slug=source.slug, source=Workshop.Source.CURATED)
        workshop.content_hash = source.content_hash
        workshop.published = True
        save_workshop(workshop, source, patterns)
        if current:
            counts.updated += 1
        else:
            counts.created += 1
    seen = [source.slug for source in sources]
    curated = Workshop.objects.published().filter(source=Workshop.Source.CURATED)
    counts.removed = curated.exclude(slug__in=seen).update(published=False)
    return counts


def save_workshop(workshop: Workshop, source: WorkshopSource, patterns: dict[str, int]) -> None:
    """Write a checked source into a workshop row and its parts, items and cuts; the caller sets whose it is.

    Curated files and trainers' uploads and copies all come through here.
    """
    workshop.title = source.title
    workshop.summary = source.summary
    workshop.audience = source.audience
    workshop.duration_minutes = source.minutes
    workshop.event_date = datetime.date.fromisoformat(source.date) if source.date else None
    workshop.save()
    # A changed file is written anew: its parts, items and cuts are few, and nothing points at them.
    workshop.parts.all().delete()
    workshop.cuts.all().delete()
    parts = WorkshopPart.objects.bulk_create(
        WorkshopPart(workshop=workshop, position=index, title=part.title)
        for index, part in enumerate(source.parts)
    )
    WorkshopItem.objects.bulk_create(
        WorkshopItem(
            part=part,
            position=index,
            pattern_id=patterns[item.pattern],
            examples=list(item.examples),
            minutes=item.minutes,
            depth=item.depth,
            notes_markdown=item.notes,
            notes_html=render_markdown(item.notes)[0] if item.notes else "",
        )
        for part, part_source in zip(parts, source.parts, strict=True)
        for index, item in enumerate(part_source.items)
    )
    WorkshopCut.objects.bulk_create(
        WorkshopCut(
            workshop=workshop,
            position=index,
            name=cut.name,
            title=cut.title,
            duration_minutes=cut.minutes,
            drop_depths=list(cut.drop_depth),
            drop_patterns=list(cut.drop),
        )
        for index, cut in enumerate(source.cuts)
    )
