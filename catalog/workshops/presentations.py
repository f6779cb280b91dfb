"""A live presentation of a workshop: which slide its presenter shows, for the attendees who follow it.

The follow link carries an unguessable token, the row holds nothing else about the presenter that
a follower ever sees. A cut is kept by name: a sync rebuilds a workshop's cuts, and a talk in
progress should not vanish with the rows.
"""

import secrets

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Now
from django.urls import reverse

from catalog.workshops.models import Workshop

TOKEN_BYTES = 24  # 32 URL-safe characters: not guessable, and short enough to read out to a room
MAX_SLIDE = 2000  # far beyond any deck; a position past the end is shown as the last slide
KEEP_PER_PRESENTER = 10  # starting one more ends the oldest


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


class PresentationQuerySet(models.QuerySet):
    def of(self, user) -> models.QuerySet:
        return self.filter(presenter=user).order_by("-started_at", "-pk")

    def start(self, workshop: Workshop, cut_name: str, user) -> "Presentation":
        """A new presentation; the presenter's oldest beyond KEEP_PER_PRESENTER end (their links stop)."""
        presentation = self.create(workshop=workshop, cut_name=cut_name, presenter=user)
        kept = self.of(user).values_list("pk", flat=True)[:KEEP_PER_PRESENTER]
        self.of(user).exclude(pk__in=list(kept)).delete()
        return presentation


class Presentation(models.Model):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="presentations")
    cut_name = models.SlugField(max_length=80, blank=True, help_text="The cut shown; empty: the whole.")
    presenter = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="presentations"
    )
    token = models.CharField(max_length=64, unique=True, default=new_token)
    current_slide = models.PositiveIntegerField(default=1, help_text="Counted from 1.")
    started_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = PresentationQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(current_slide__gte=1, current_slide__lte=MAX_SLIDE),
                name="presentation_slide_range",
            )
        ]

    def __str__(self) -> str:
        return f"{self.workshop} presented by {self.presenter_id}"

    def get_absolute_url(self) -> str:
        return reverse("workshops:presenter", args=[self.token])

    @property
    def follow_url(self) -> str:
        return reverse("workshops:follow", args=[self.token])

    def move_to(self, slide: int) -> None:
        """One UPDATE, without reading the row again: moves arrive many times a minute."""
        Presentation.objects.filter(pk=self.pk).update(current_slide=slide, updated_at=Now())
        self.current_slide = slide
