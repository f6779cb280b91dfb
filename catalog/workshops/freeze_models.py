"""A workshop frozen for its event: the exact files of every item's examples, kept as they were.

The catalog moves on (a sync changes or removes an example); the kit and slides of a frozen workshop
are built from these rows, and its page says what changed since (catalog/workshops/freeze.py).
"""

import hashlib

from django.conf import settings
from django.db import models, transaction
from django.utils import timezone

from catalog.workshops.models import Workshop


def file_digest(content: str) -> str:
    """A file's content hash: sha256 of its bytes as the engine and the kit receive them (UTF-8)."""
    return hashlib.sha256(content.encode()).hexdigest()


class WorkshopFreeze(models.Model):
    workshop = models.OneToOneField(Workshop, on_delete=models.CASCADE, related_name="freeze")
    frozen_at = models.DateTimeField(default=timezone.now)
    frozen_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    def __str__(self) -> str:
        return f"{self.workshop_id} frozen on {self.frozen_at:%Y-%m-%d}"


class FrozenExample(models.Model):
    """One example as the catalog had it at the freeze: its content hash then, and its files."""

    freeze = models.ForeignKey(WorkshopFreeze, on_delete=models.CASCADE, related_name="examples")
    position = models.PositiveSmallIntegerField()  # agenda order
    pattern_slug = models.SlugField(max_length=80)
    example_slug = models.SlugField(max_length=80)
    content_hash = models.CharField(max_length=64, help_text="Example.content_hash at the freeze.")

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(
                fields=["freeze", "pattern_slug", "example_slug"], name="unique_frozen_example"
            )
        ]

    def __str__(self) -> str:
        return f"{self.pattern_slug}/{self.example_slug} (frozen)"


class FrozenFile(models.Model):
    example = models.ForeignKey(FrozenExample, on_delete=models.CASCADE, related_name="files")
    position = models.PositiveSmallIntegerField()
    path = models.CharField(max_length=200)
    sha256 = models.CharField(max_length=64)
    content = models.TextField()  # examples' files are text (ExampleFile.content)
    executable = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "path"]
        constraints = [models.UniqueConstraint(fields=["example", "path"], name="unique_frozen_file")]

    def __str__(self) -> str:
        return self.path


@transaction.atomic
def freeze_workshop(workshop: Workshop, examples, user=None) -> WorkshopFreeze:
    """Record these examples (Example rows with their files prefetched) as the workshop's frozen state.

    Freezing again replaces the earlier freeze: the newest is the one the event uses.
    """
    WorkshopFreeze.objects.filter(workshop=workshop).delete()
    freeze = WorkshopFreeze.objects.create(workshop=workshop, frozen_by=user if user else None)
    frozen = FrozenExample.objects.bulk_create(
        FrozenExample(
            freeze=freeze,
            position=position,
            pattern_slug=example.pattern.slug,
            example_slug=example.slug,
            content_hash=example.content_hash,
        )
        for position, example in enumerate(examples)
    )
    FrozenFile.objects.bulk_create(
        FrozenFile(
            example=row,
            position=position,
            path=file.path,
            sha256=file_digest(file.content),
            content=file.content,
            executable=file.executable,
        )
        for row, example in zip(frozen, examples, strict=True)
        for position, file in enumerate(example.files.all())
    )
    return freeze
