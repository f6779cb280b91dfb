"""The catalog's data: patterns, their categories and relations, examples and their files."""

import functools

from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse

from catalog.submissions.models import ReviewComment, Submission, SubmissionFile, SubmissionRun  # noqa: F401
from catalog.verifications.models import ImageLayers, Verification  # noqa: F401
from catalog.verifications.status import ServiceBeat  # noqa: F401  (models of this app)
from catalog.workshops.check_rooms import CheckRoom, MachineReport  # noqa: F401
from catalog.workshops.freeze_models import FrozenExample, FrozenFile, WorkshopFreeze  # noqa: F401
from catalog.workshops.models import Workshop, WorkshopCut, WorkshopItem, WorkshopPart  # noqa: F401
from catalog.workshops.preflight_models import Preflight, PreflightRun  # noqa: F401
from catalog.workshops.presentations import Presentation  # noqa: F401
from worker.images.build_context import context_files
from worker.scenario import Scenario


class Category(models.Model):
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=40)
    colour = models.CharField(max_length=7, help_text="Tile colour, #rrggbb; white text sits on it.")
    description = models.CharField(max_length=200)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class PatternQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def with_categories(self):
        ordered = PatternCategory.objects.select_related("category").order_by("position")
        return self.prefetch_related(Prefetch("pattern_categories", queryset=ordered))

    def for_table(self):
        """Published patterns in table order, with what a tile shows, in two queries."""
        return self.published().with_categories().order_by("table_column", "position", "name")


class Pattern(models.Model):
    class Kind(models.TextChoices):
        PATTERN = "pattern", "Pattern"
        ANTI_PATTERN = "anti-pattern", "Anti-pattern"
        PRINCIPLE = "principle", "Principle"
        PLATFORM = "platform", "Platform"

    slug = models.SlugField(unique=True, max_length=80)
    name = models.CharField(max_length=120)
    symbol = models.CharField(max_length=3)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.PATTERN)
    summary = models.TextField()
    body_markdown = models.TextField()
    body_html = models.TextField(help_text="Rendered and sanitised once, at sync.")
    toc_html = models.TextField(blank=True)
    # Platform patterns no single Docker engine can prove say why, instead of showing a fake proof.
    unverifiable = models.TextField(blank=True)
    sources = models.JSONField(default=list)
    categories = models.ManyToManyField(Category, through="PatternCategory", related_name="patterns")
    # Where the tile sits: the column of its first category, then its order within it.
    table_column = models.PositiveSmallIntegerField(default=0)
    position = models.IntegerField(default=0)
    published = models.BooleanField(default=True)
    content_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PatternQuerySet.as_manager()

    class Meta:
        ordering = ["table_column", "position", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["symbol"], condition=Q(published=True), name="unique_published_symbol"
            )
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("catalog:pattern-detail", args=[self.slug])

    @property
    def is_anti_pattern(self) -> bool:
        return self.kind == self.Kind.ANTI_PATTERN

    @property
    def ordered_categories(self) -> list[Category]:
        """Categories in the author's order; relies on with_categories() for one query."""
        return [link.category for link in self.pattern_categories.all()]


class PatternCategory(models.Model):
    pattern = models.ForeignKey(Pattern, on_delete=models.CASCADE, related_name="pattern_categories")
    category = models.ForeignKey(Category, on_delete=models.PROTECT)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["pattern", "category"], name="unique_pattern_category")
        ]

    def __str__(self) -> str:
        return f"{self.pattern} in {self.category}"


class PatternRelation(models.Model):
    """A typed link, stored in one direction; the other page shows the inverse."""

    class Relation(models.TextChoices):
        USES = "uses", "Uses"
        PART_OF = "part-of", "Part of"
        ALTERNATIVE_TO = "alternative-to", "Alternative to"
        FIXES = "fixes", "Fixes"
        REALISES = "realises", "Realises"
        RELATED = "related", "Related to"

    INVERSE_LABELS = {
        "uses": "Used by",
        "part-of": "Has part",
        "alternative-to": "Alternative to",
        "fixes": "Fixed by",
        "realises": "Realised by",
        "related": "Related to",
    }

    source = models.ForeignKey(Pattern, on_delete=models.CASCADE, related_name="relations_out")
    target = models.ForeignKey(Pattern, on_delete=models.CASCADE, related_name="relations_in")
    relation = models.CharField(max_length=20, choices=Relation.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["source", "target", "relation"], name="unique_pattern_relation"),
            models.CheckConstraint(condition=~Q(source=models.F("target")), name="no_self_relation"),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.relation} {self.target}"

    @property
    def inverse_label(self) -> str:
        return self.INVERSE_LABELS[self.relation]


class Example(models.Model):
    pattern = models.ForeignKey(Pattern, on_delete=models.CASCADE, related_name="examples")
    slug = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    summary = models.TextField()
    summary_html = models.TextField(blank=True, help_text="The summary's Markdown, rendered at sync.")
    scenario = models.JSONField(help_text="The parsed example.yaml, normalised.")
    host_access = models.JSONField(default=list)
    content_hash = models.CharField(max_length=64, help_text="Files and scenario together.")
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "slug"]
        constraints = [models.UniqueConstraint(fields=["pattern", "slug"], name="unique_example_slug")]

    def __str__(self) -> str:
        return f"{self.pattern.slug}/{self.slug}"

    def get_archive_url(self) -> str:
        return reverse("catalog:example-archive", args=[self.pattern.slug, self.slug])

    @functools.cached_property
    def parsed_scenario(self) -> Scenario | None:
        """The stored scenario, typed (worker/scenario); None for an example saved without one."""
        return Scenario.from_dict(self.scenario) if self.scenario else None

    def context_files(self) -> dict[str, tuple[bytes, bool]]:
        """The example's files as the engine receives them (one query)."""
        return context_files(self.files.all())


class ExampleFile(models.Model):
    example = models.ForeignKey(Example, on_delete=models.CASCADE, related_name="files")
    path = models.CharField(max_length=200)
    content = models.TextField()
    highlighted_html = models.TextField(help_text="Pygments output, made at sync.")
    language = models.CharField(max_length=30)
    executable = models.BooleanField(default=False)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "path"]
        constraints = [models.UniqueConstraint(fields=["example", "path"], name="unique_example_file")]

    def __str__(self) -> str:
        return self.path

    @property
    def size(self) -> int:
        return len(self.content.encode())


class SearchDocument(models.Model):
    """What search reads for one pattern; SQLite indexes it with FTS5, PostgreSQL with a tsvector."""

    pattern = models.OneToOneField(Pattern, on_delete=models.CASCADE, related_name="search_document")
    name = models.TextField()
    summary = models.TextField()
    body = models.TextField()
    files = models.TextField()
    vector = SearchVectorField(null=True)

    def __str__(self) -> str:
        return f"search document of {self.pattern_id}"
