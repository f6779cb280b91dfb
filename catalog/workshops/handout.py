"""A workshop's printable handout: per item the pattern's summary, a QR code and short link to its page, and
per example its files, its commands with their last results and the numbers of its last verification.

Generated from the database like every page (catalog/verifications/result.py and command_rows.py
read the stored reports), so it cannot drift from what was proven. Queries: the workshop's four,
the examples with their files, their newest results; however many items.
"""

from dataclasses import dataclass
from datetime import datetime

import segno
from django.db.models import F, Prefetch
from django.http import Http404
from django.shortcuts import render
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from catalog.content.sources import SCENARIO_FILE
from catalog.models import Example, ExampleFile, Verification
from catalog.serving.page_cache import page_cached
from catalog.verifications.command_rows import CommandRow, command_rows
from catalog.verifications.latest import with_verification_ids
from catalog.verifications.result import NO_RESULT, check_rows, headline
from catalog.workshops.frozen_versions import NOT_FROZEN, FrozenExamples, frozen_examples
from catalog.workshops.models import Workshop, WorkshopItem, WorkshopPart
from catalog.workshops.owned import visible_workshop
from worker.contract.quantities import format_size

PAPERS = {"a4": "A4", "letter": "Letter"}  # ?paper= and the @page size its stylesheet sets


@dataclass(frozen=True)
class Numbers:
    """What the example's newest finished verification measured, in the words of its panel."""

    headline: str
    finished_at: datetime | None
    engine: str
    images: tuple[tuple[str, str, int], ...]  # (image, size, layers)
    outdated: bool  # the files changed since: the numbers are of the earlier version


@dataclass(frozen=True)
class ExampleSheet:
    example: Example
    files: tuple[ExampleFile, ...]
    commands: tuple[CommandRow, ...]
    numbers: Numbers | None


@dataclass(frozen=True)
class ItemSheet:
    part: WorkshopPart
    item: WorkshopItem
    url: str  # absolute: it is printed, and a phone reads it from the QR code
    qr: SafeString
    examples: tuple[ExampleSheet, ...]

    @property
    def short_url(self) -> str:
        return self.url.split("://", 1)[-1]


@page_cached
def workshop_handout(request, slug):
    workshop = visible_workshop(request, slug, Workshop.objects.with_agenda())
    name = request.GET.get("cut", "")
    cut = next((cut for cut in workshop.cuts.all() if cut.name == name), None)
    paper = request.GET.get("paper", "a4")
    if (name and cut is None) or paper not in PAPERS:
        raise Http404("no such cut or paper size")
    kept = [
        (part, item)
        for part in workshop.parts.all()
        for item in part.items.all()
        if not cut or cut.keeps(item)
    ]
    examples = examples_of({item.pattern_id for _, item in kept})
    frozen = frozen_examples(workshop, {(e.pattern_slug, e.slug): e for e in examples.values()})
    sheets = [
        item_sheet(part, item, request.build_absolute_uri(item.pattern.get_absolute_url()), examples, frozen)
        for part, item in kept
    ]
    context = {
        "workshop": workshop,
        "cut": cut,
        "paper": paper,
        "paper_name": PAPERS[paper],
        "papers": PAPERS,
        "frozen_at": frozen.frozen_at,
    }
    context["sheets"] = sheets
    return render(request, "workshops/handout.html", context)


def examples_of(pattern_ids: set[int]) -> dict[tuple[int, str], Example]:
    """Every example of these patterns with its files and `last_result`, the newest finished verification."""
    files = Prefetch("files", queryset=ExampleFile.objects.order_by("position", "path"))
    examples = list(
        with_verification_ids(Example.objects.filter(pattern_id__in=pattern_ids))
        .annotate(pattern_slug=F("pattern__slug"))
        .prefetch_related(files)
    )
    wanted = {example.newest_result_id for example in examples} - {None}
    # The log is the bulk of a row and the handout does not print it.
    rows = Verification.objects.defer("log").in_bulk(wanted) if wanted else {}
    for example in examples:
        example.last_result = rows.get(example.newest_result_id)
    return {(example.pattern_id, example.slug): example for example in examples}


def item_sheet(
    part: WorkshopPart, item: WorkshopItem, url: str, examples: dict, frozen: FrozenExamples = NOT_FROZEN
) -> ItemSheet:
    """The item's sheet; a frozen workshop's examples that moved since the freeze are shown as frozen."""
    sheets = []
    for slug in item.examples:
        if (example := examples.get((item.pattern_id, slug))) is None:
            continue
        version = frozen.versions.get((item.pattern.slug, slug))
        if version is None:
            sheets.append(example_sheet(example, example.files.all(), example.last_result))
        else:
            sheets.append(example_sheet(version.example, version.files, version.verification))
    return ItemSheet(part, item, url, qr_svg(url, item.pattern.name), tuple(sheets))


def example_sheet(example: Example, files, result: Verification | None) -> ExampleSheet:
    """An example made of these files (its own, or as frozen) and its newest finished verification."""
    report = result.report if result is not None else None
    return ExampleSheet(
        example=example,
        # What attendees build from; the scenario that verifies it stays on the pattern's page.
        files=tuple(file for file in files if file.path != SCENARIO_FILE),
        commands=command_rows(example.parsed_scenario, report.commands if report else ()),
        numbers=numbers_of(result, example) if result is not None else None,
    )


def numbers_of(verification: Verification, example: Example) -> Numbers:
    report = verification.report or NO_RESULT
    checks = check_rows(report)
    version, arch = report.engine_fact("version"), report.engine_fact("arch")
    return Numbers(
        headline=headline(verification, checks, sum(not check.passed for check in checks)),
        finished_at=verification.finished_at,
        engine=f"Docker {version}{f', {arch}' if arch else ''}" if version else "",
        images=tuple((name, format_size(facts.size), facts.layers) for name, facts in report.images.items()),
        outdated=verification.example_hash != example.content_hash,
    )


def qr_svg(url: str, name: str) -> SafeString:
    """The link as an inline SVG QR code, drawn on the server: no script, no image request."""
    code = segno.make(url, error="m")
    svg = code.svg_inline(
        dark="#000", light="#fff", omitsize=True, svgclass="handout-qr__code", lineclass=None
    )
    label = escape(f"QR code of the link to {name}: {url}")
    # Safe: segno writes only its path data; the one text added is escaped.
    return mark_safe(svg.replace("<svg ", f'<svg role="img" aria-label="{label}" ', 1))
