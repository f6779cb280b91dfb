"""The verification panel of an example: its live run, if any, and its newest finished result."""

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.urls import reverse

from catalog.models import Example, Verification
from catalog.verifications.command_rows import command_rows
from catalog.verifications.latest import RESULT_STATES, attach_verifications
from catalog.verifications.lint_marks import marks_by_file
from catalog.verifications.result import STATUS_LABELS, Report, ago, make_report, status_of


@dataclass(frozen=True)
class Panel:
    """Everything the verification panel of one example shows."""

    example: Example
    status: str
    status_label: str
    live: Verification | None  # the queued or running verification, followed live
    live_since: str
    live_since_at: datetime | None
    report: Report | None  # the newest finished verification
    host_access_blocked: bool
    notice: str  # "queued" or "joined" right after pressing "Verify again"

    @property
    def live_url(self) -> str:
        return reverse("catalog:verification-log", args=[self.live.pk]) if self.live else ""


def make_panel(example: Example, notices: Mapping[str, str] | None = None) -> Panel:
    newest = example.verification
    live = newest if newest is not None and newest.is_active else None
    shown = example.last_result if live else newest
    if shown is not None and shown.state not in RESULT_STATES:
        shown = example.last_result  # a cancelled run has nothing to show; the last result does
    status = status_of(newest)
    notices = notices or {}
    notice = next((kind for kind in ("queued", "joined") if notices.get(kind) == example.slug), "")
    blocked = bool(example.host_access) and not settings.VERIFY_ALLOW_HOST_ACCESS
    since = None if live is None else _live_since(live)
    return Panel(
        example=example,
        status=status,
        status_label=STATUS_LABELS.get(status, status),
        live=live,
        live_since=ago(since),
        live_since_at=since,
        report=make_report(shown, example) if shown is not None else None,
        host_access_blocked=blocked,
        notice=notice,
    )


def _live_since(live: Verification):
    # A waiting row counts from its first wait; a row queued again after a lost worker keeps its
    # old started_at, so a queued row counts from queuing.
    if live.state == Verification.State.WAITING:
        return live.waiting_since or live.queued_at
    return live.queued_at if live.state == Verification.State.QUEUED else live.started_at


def attach_panels(examples: Iterable[Example], notices: Mapping[str, str] | None = None) -> None:
    """Set `verification_panel` on each example annotated by with_verification_ids (one query)."""
    examples = list(examples)
    attach_verifications(examples)
    attach_size_history(examples)
    for example in examples:
        panel = make_panel(example, notices)
        example.verification_panel = panel
        reports = [image.analysis for image in panel.report.images] if panel.report else []
        example.lint_marks = marks_by_file(reports)
        stored = panel.report.verification.report if panel.report else None
        ran = stored.commands if stored else ()
        example.command_rows = command_rows(example.parsed_scenario, ran)


SIZE_HISTORY_POINTS = 30


def attach_size_history(examples: list[Example]) -> None:
    """Set `size_history` (image name -> [(finished_at, bytes)], oldest first) in one query."""
    points: dict[int, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    rows = (
        Verification.objects.filter(example__in=examples, state=Verification.State.PASSED)
        .exclude(image_sizes={})
        .order_by("finished_at", "pk")
        .values_list("example_id", "finished_at", "image_sizes")
    )
    for example_id, finished_at, sizes in rows:
        for name, size in (sizes or {}).items():
            points[example_id][name].append((finished_at, int(size)))
    for example in examples:
        found = points.get(example.pk, {})
        example.size_history = {name: series[-SIZE_HISTORY_POINTS:] for name, series in found.items()}
