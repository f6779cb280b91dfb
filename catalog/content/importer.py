"""Load the checked patterns/ tree into the database (upsert by slug), count and verify what changed."""

from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import transaction

from catalog import search
from catalog.content.loader import Tree, load_tree
from catalog.content.rendering import highlight_file, render_markdown
from catalog.content.sources import ContentError, ExampleSource, PatternSource
from catalog.content.taxonomy import CATEGORIES, INVERTED_RELATIONS
from catalog.models import Category, Example, ExampleFile, Pattern, PatternCategory, PatternRelation
from catalog.serving import page_cache
from catalog.verifications.queueing import queue_examples
from catalog.verifications.status import worker_has_reported
from catalog.workshops.importer import WorkshopCounts, save_workshops, taken_slugs
from catalog.workshops.loader import Workshops, load_workshops


def workshops_beside(patterns: Path) -> Path:
    """Workshops name the patterns of one tree: the configured folder for the configured tree, else the
    `workshops` folder beside the tree given with --path (absent in a test tree: no workshops)."""
    return settings.WORKSHOPS_DIR if patterns == settings.PATTERNS_DIR else patterns.parent / "workshops"


@dataclass
class SyncReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    removed: int = 0
    errors: tuple[ContentError, ...] = ()
    changed_example_ids: list[int] = field(default_factory=list)
    worker_reported: bool = False  # without a worker (none ever beat here) nothing is queued
    queued: int = 0  # verifications queued for the examples added or changed
    workshops: WorkshopCounts = field(default_factory=WorkshopCounts)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def changed(self) -> bool:
        return bool(self.created or self.updated or self.removed)


@dataclass(frozen=True)
class Content:
    """The pattern tree and the curated workshops that name its patterns, checked together."""

    tree: Tree
    workshops: Workshops

    @property
    def errors(self) -> tuple[ContentError, ...]:
        return self.tree.errors + self.workshops.errors


def load_content(root: Path, workshops: Path | None = None) -> Content:
    """The tree, and the workshops folder when one is given (None leaves workshops out of the sync)."""
    tree = load_tree(root)
    return Content(tree, load_workshops(workshops, tree) if workshops else Workshops())


def sync_patterns(root: Path, workshops: Path | None = None) -> SyncReport:
    """Validate everything first; write nothing unless the whole tree (and its workshops) is valid."""
    content = load_content(root, workshops)
    tree = content.tree
    errors = content.errors or taken_slugs(content.workshops)
    if errors:
        return SyncReport(errors=errors)
    report = SyncReport()
    with transaction.atomic():
        categories = upsert_categories()
        existing = {pattern.slug: pattern for pattern in Pattern.objects.all()}
        seen = set()
        for source in tree.patterns:
            seen.add(source.slug)
            current = existing.get(source.slug)
            if current and current.published and current.content_hash == source.content_hash:
                report.unchanged += 1
                continue
            pattern = save_pattern(current, source, categories)
            report.changed_example_ids += save_examples(pattern, source.examples)
            search.index_pattern(pattern, search_files_text(source))
            if current:
                report.updated += 1
            else:
                report.created += 1
        report.removed = Pattern.objects.published().exclude(slug__in=seen).update(published=False)
        relations_changed = save_relations(tree.patterns)
        if workshops:
            report.workshops = save_workshops(content.workshops.workshops)
        if report.changed or relations_changed or report.workshops.changed:
            transaction.on_commit(page_cache.bump_generation)
        # In the same transaction: the rows exist exactly when the content does, and the
        # wake-up messages leave only after the commit.
        report.worker_reported = worker_has_reported()
        if report.worker_reported:
            report.queued = queue_examples(report.changed_example_ids)
    return report


def upsert_categories() -> dict[str, Category]:
    categories = {}
    for position, info in enumerate(CATEGORIES):
        category, _ = Category.objects.update_or_create(
            slug=info.slug,
            defaults={
                "name": info.name,
                "colour": info.colour,
                "description": info.description,
                "position": position,
            },
        )
        categories[info.slug] = category
    return categories


def save_pattern(pattern: Pattern | None, source: PatternSource, categories: dict) -> Pattern:
    pattern = pattern or Pattern(slug=source.slug)
    body_html, toc_html = render_markdown(source.body)
    pattern.name = source.name
    pattern.symbol = source.symbol
    pattern.kind = source.kind
    pattern.summary = source.summary
    pattern.body_markdown = source.body
    pattern.body_html = body_html
    pattern.toc_html = toc_html
    pattern.sources = list(source.sources)
    pattern.table_column = categories[source.categories[0]].position
    pattern.position = source.order
    pattern.unverifiable = source.unverifiable
    pattern.published = True
    pattern.content_hash = source.content_hash
    pattern.save()
    pattern.pattern_categories.all().delete()
    PatternCategory.objects.bulk_create(
        PatternCategory(pattern=pattern, category=categories[slug], position=index)
        for index, slug in enumerate(source.categories)
    )
    return pattern


def save_examples(pattern: Pattern, sources: tuple[ExampleSource, ...]) -> list[int]:
    """Upsert the pattern's examples; returns the ids of those whose content changed."""
    existing = {example.slug: example for example in pattern.examples.all()}
    changed = []
    for position, source in enumerate(sources):
        example = existing.pop(source.slug, None) or Example(pattern=pattern, slug=source.slug)
        content_hash = source.content_hash
        unchanged = example.pk and example.content_hash == content_hash
        example.title = source.title
        example.summary = source.summary
        example.summary_html = render_markdown(source.summary)[0]
        example.scenario = source.scenario
        example.host_access = list(source.host_access)
        example.position = position
        example.content_hash = content_hash
        example.save()
        if unchanged:
            continue
        example.files.all().delete()
        ExampleFile.objects.bulk_create(
            build_file(example, index, file) for index, file in enumerate(source.files)
        )
        changed.append(example.pk)
    Example.objects.filter(pk__in=[example.pk for example in existing.values()]).delete()
    return changed


def build_file(example: Example, position: int, file) -> ExampleFile:
    highlighted, language = highlight_file(file.path, file.content)
    return ExampleFile(
        example=example,
        path=file.path,
        content=file.content,
        highlighted_html=highlighted,
        language=language,
        executable=file.executable,
        position=position,
    )


def save_relations(sources: tuple[PatternSource, ...]) -> bool:
    """Make the stored relations match the tree; True when any row was added or removed."""
    ids = dict(Pattern.objects.values_list("slug", "id"))
    wanted = set()
    for source in sources:
        for slug, relation in source.related:
            if relation in INVERTED_RELATIONS:
                wanted.add((ids[slug], ids[source.slug], INVERTED_RELATIONS[relation]))
            else:
                wanted.add((ids[source.slug], ids[slug], relation))
    stored = {(row.source_id, row.target_id, row.relation): row.pk for row in PatternRelation.objects.all()}
    stale = [pk for key, pk in stored.items() if key not in wanted]
    PatternRelation.objects.filter(pk__in=stale).delete()
    PatternRelation.objects.bulk_create(
        PatternRelation(source_id=s, target_id=t, relation=r) for s, t, r in wanted - set(stored)
    )
    return bool(stale or wanted - set(stored))


def search_files_text(source: PatternSource) -> str:
    parts = []
    for example in source.examples:
        parts.append(example.title)
        parts.extend(file.content for file in example.files)
    return "\n".join(parts)
