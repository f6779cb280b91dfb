"""Everything a workshop's slides show, read in a fixed number of queries however long the workshop is.

The workshop with its parts, items and cuts (four queries), the agenda's evidence (two), the
examples the kept items show with their files (two) and the newest finished verification of
each (one). The slides themselves are made by catalog/workshops/slides.py from these rows.
"""

import dataclasses
from datetime import datetime
from functools import reduce
from operator import or_

from django.db.models import F, Prefetch, Q
from django.http import Http404
from django.shortcuts import get_object_or_404

from catalog.models import Example, ExampleFile, Verification
from catalog.verifications.command_rows import command_rows
from catalog.verifications.latest import with_verification_ids
from catalog.verifications.result import make_report
from catalog.workshops.agenda import Agenda, build_agenda
from catalog.workshops.evidence import gather_evidence
from catalog.workshops.frozen_versions import frozen_examples
from catalog.workshops.key_lines import dockerfiles, key_lines
from catalog.workshops.models import Workshop, WorkshopCut
from catalog.workshops.slides import Deck, Shown, build_deck, command_lines


def load_deck(slug: str, cut_name: str = "", *, lost_cut_shows_all: bool = False) -> Deck:
    """The published workshop's deck, or of one of its cuts; Http404 for an unknown workshop or cut.

    `lost_cut_shows_all`: for a live presentation, whose cut a sync or its author may remove
    while attendees follow it; the whole workshop is shown then, and the deck says why.
    """
    workshop = get_object_or_404(Workshop.objects.published().with_agenda(), slug=slug)
    cut = cut_named(workshop, cut_name)
    if cut_name and cut is None and not lost_cut_shows_all:
        raise Http404("no such cut of this workshop")
    items = [item for part in workshop.parts.all() for item in part.items.all()]
    agenda = build_agenda(workshop, gather_evidence({item.pattern_id for item in items}), cut)
    shown, frozen_at = gather_shown(workshop, agenda)
    deck = dataclasses.replace(build_deck(workshop, agenda, shown), frozen_at=frozen_at)
    return dataclasses.replace(deck, lost_cut=cut_name) if cut_name and cut is None else deck


def cut_named(workshop: Workshop, name: str) -> WorkshopCut | None:
    return next((cut for cut in workshop.cuts.all() if name and cut.name == name), None)


def gather_shown(workshop: Workshop, agenda: Agenda) -> tuple[dict[tuple[str, str], Shown], datetime | None]:
    """(pattern slug, example slug) -> what the slides show of each example the agenda's items name;
    and when the workshop was frozen, if it was: its slides then show the examples as frozen."""
    wanted: dict[int, set[str]] = {}
    for line in agenda.items:
        wanted.setdefault(line.item.pattern_id, set()).update(line.item.examples)
    if not wanted:
        return {}, frozen_examples(workshop, {}).frozen_at
    only = reduce(or_, (Q(pattern_id=pattern, slug__in=slugs) for pattern, slugs in wanted.items()))
    files = ExampleFile.objects.order_by("position", "path")
    examples = list(
        with_verification_ids(Example.objects.filter(only))
        .annotate(pattern_slug=F("pattern__slug"))
        .prefetch_related(Prefetch("files", queryset=files))
        .order_by()
    )
    ids = {example.newest_result_id for example in examples} - {None}
    results = Verification.objects.defer("log").in_bulk(ids) if ids else {}
    frozen = frozen_examples(workshop, {(row.pattern_slug, row.slug): row for row in examples})
    shown = {}
    for example in examples:
        key = (example.pattern_slug, example.slug)
        if (version := frozen.versions.get(key)) is not None:
            shown[key] = shown_example(version.example, version.files, version.verification)
            continue
        verification = results.get(example.newest_result_id)
        if verification is not None:
            verification.log = ""  # slides show no log; set, so that reading it costs no query
        shown[key] = shown_example(example, example.files.all(), verification)
    return shown, frozen.frozen_at


def shown_example(example: Example, files, verification: Verification | None) -> Shown:
    """What the slides show of an example made of these files (its own, or as frozen)."""
    files = list(files)
    chosen = dockerfiles(example.parsed_scenario, files)
    stored = verification.report if verification is not None else None
    return Shown(
        example=example,
        dockerfiles=tuple(key_lines(file.path, file.content, file.highlighted_html) for file in chosen),
        commands=command_lines(command_rows(example.parsed_scenario, stored.commands if stored else ())),
        report=make_report(verification, example) if verification is not None else None,
    )
