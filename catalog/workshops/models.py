"""A workshop as the database keeps it: parts of items, each item one pattern shown for some minutes.

Curated workshops are written by sync_patterns from workshops/<slug>.yaml; a trainer's own
have an owner. Both are read by the same pages.
"""

from django.conf import settings
from django.db import models
from django.db.models import Prefetch, Q
from django.urls import reverse

from catalog.workshops.sources import DEPTHS, cut_keeps, duration_text


class WorkshopQuerySet(models.QuerySet):
    def published(self):
        return self.filter(published=True)

    def curated(self):
        return self.published().filter(source=Workshop.Source.CURATED)

    def owned_by(self, user):
        """A trainer's own workshops; nobody else's, and none for a visitor who is not logged in."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(source=Workshop.Source.TRAINER, owner=user)

    def with_agenda(self):
        """Parts, their items with each pattern, and the cuts, in three queries whatever their number."""
        # A pattern's rendered body is large and the agenda shows only its name and link.
        items = (
            WorkshopItem.objects.select_related("pattern")
            .defer("pattern__body_markdown", "pattern__body_html", "pattern__toc_html")
            .order_by("position")
        )
        parts = WorkshopPart.objects.order_by("position").prefetch_related(Prefetch("items", queryset=items))
        return self.prefetch_related(
            Prefetch("parts", queryset=parts),
            Prefetch("cuts", queryset=WorkshopCut.objects.order_by("position")),
        )


class Workshop(models.Model):
    class Source(models.TextChoices):
        CURATED = "curated", "Curated"
        TRAINER = "trainer", "Trainer's own"

    slug = models.SlugField(unique=True, max_length=80)
    title = models.CharField(max_length=200)
    summary = models.TextField()
    audience = models.TextField()
    duration_minutes = models.PositiveIntegerField()
    source = models.CharField(max_length=12, choices=Source.choices, default=Source.CURATED)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="workshops"
    )
    event_date = models.DateField(null=True, blank=True)
    content_hash = models.CharField(max_length=64, blank=True, help_text="Of the file, for curated ones.")
    published = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = WorkshopQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        constraints = [
            # A file in workshops/ belongs to the catalog, not to a person.
            models.CheckConstraint(
                condition=Q(source="trainer") | Q(owner__isnull=True), name="curated_workshop_has_no_owner"
            ),
            models.CheckConstraint(condition=Q(duration_minutes__gt=0), name="workshop_has_a_duration"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("workshops:detail", args=[self.slug])

    @property
    def duration_text(self) -> str:
        return duration_text(self.duration_minutes)


class WorkshopPart(models.Model):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="parts")
    position = models.PositiveSmallIntegerField()
    title = models.CharField(max_length=200)

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["workshop", "position"], name="unique_workshop_part_position")
        ]

    def __str__(self) -> str:
        return f"{self.workshop}: {self.title}"


class WorkshopItem(models.Model):
    class Depth(models.TextChoices):
        CORE = DEPTHS[0], "Core"
        EXTRA = DEPTHS[1], "Extra"

    part = models.ForeignKey(WorkshopPart, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveSmallIntegerField()
    # Patterns are unpublished, never deleted; PROTECT keeps a workshop from losing an item silently.
    pattern = models.ForeignKey("catalog.Pattern", on_delete=models.PROTECT, related_name="workshop_items")
    examples = models.JSONField(default=list, help_text="Slugs of the pattern's examples shown, in order.")
    minutes = models.PositiveSmallIntegerField()
    depth = models.CharField(max_length=8, choices=Depth.choices, default=Depth.CORE)
    notes_markdown = models.TextField(blank=True)
    notes_html = models.TextField(blank=True, help_text="Speaker notes, rendered and sanitised at sync.")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["part", "position"], name="unique_workshop_item_position"),
            models.CheckConstraint(condition=Q(minutes__gt=0), name="workshop_item_has_minutes"),
        ]

    def __str__(self) -> str:
        return f"{self.part}: {self.pattern_id}"


class WorkshopCut(models.Model):
    """A named shorter version: the workshop without some depths or patterns, in less time."""

    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="cuts")
    position = models.PositiveSmallIntegerField()
    name = models.SlugField(max_length=80)
    title = models.CharField(max_length=200)
    duration_minutes = models.PositiveIntegerField()
    drop_depths = models.JSONField(default=list)
    drop_patterns = models.JSONField(default=list, help_text="Pattern slugs.")

    class Meta:
        ordering = ["position"]
        constraints = [models.UniqueConstraint(fields=["workshop", "name"], name="unique_workshop_cut_name")]

    def __str__(self) -> str:
        return f"{self.workshop}: {self.name}"

    @property
    def duration_text(self) -> str:
        return duration_text(self.duration_minutes)

    def keeps(self, item: WorkshopItem) -> bool:
        return cut_keeps(tuple(self.drop_depths), tuple(self.drop_patterns), item.depth, item.pattern.slug)
