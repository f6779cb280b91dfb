"""The trainer's pre-flight as rows: a Preflight groups one cold verification per example of a workshop.

Each run row keeps the verification it asked for and the example's last good run before it (the
baseline that catalog/workshops/preflight_report.py compares with). Queued by
catalog/workshops/preflight.py.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone

from catalog.verifications.models import Verification
from catalog.workshops.models import Workshop, WorkshopCut


class PreflightQuerySet(models.QuerySet):
    def latest_of(self, workshop: Workshop, cut: WorkshopCut | None):
        """The newest pre-flight of the workshop as shown (its cut, or the whole of it), or None."""
        return self.filter(workshop=workshop, cut_name=cut.name if cut else "").order_by("-pk").first()


class Preflight(models.Model):
    workshop = models.ForeignKey(Workshop, on_delete=models.CASCADE, related_name="preflights")
    cut_name = models.SlugField(max_length=80, blank=True, help_text="Empty: the whole workshop.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    objects = PreflightQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"pre-flight {self.pk} of {self.workshop_id}"


class PreflightRun(models.Model):
    """One example's cold verification in a pre-flight, and what it is compared with."""

    preflight = models.ForeignKey(Preflight, on_delete=models.CASCADE, related_name="runs")
    position = models.PositiveSmallIntegerField()  # agenda order
    verification = models.ForeignKey(Verification, on_delete=models.CASCADE, related_name="+")
    # The example's newest passed run when the pre-flight began; None when it never passed.
    baseline = models.ForeignKey(
        Verification, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["position"]
        constraints = [
            models.UniqueConstraint(fields=["preflight", "verification"], name="unique_preflight_run"),
        ]

    def __str__(self) -> str:
        return f"{self.preflight}: verification {self.verification_id}"
