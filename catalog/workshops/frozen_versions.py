"""A frozen workshop's examples as its slides and handout show them: the frozen files, not the catalog's.

The catalog moves on after a freeze (a sync changes an example); what the room is shown must be what
the kit holds. For each example whose catalog version is no longer the frozen one, this gives the
frozen files (highlighted here, as a sync would), the frozen scenario, and the newest finished
verification of that frozen version, if the catalog ever verified it; an example that did not move is
left as the catalog has it. Three queries at most, whatever the number of examples.
"""

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from django.db.models import F, Q

from catalog.content.importer import build_file
from catalog.content.sources import SCENARIO_FILE
from catalog.kits.plan import scenario_of  # the kit reads the frozen scenario the same way
from catalog.models import Example, ExampleFile, Verification
from catalog.verifications.latest import RESULT_STATES
from catalog.workshops.freeze_models import FrozenExample, FrozenFile, WorkshopFreeze
from catalog.workshops.models import Workshop

ExampleKey = tuple[str, str]  # (pattern slug, example slug)


@dataclass(frozen=True)
class FrozenVersion:
    example: Example  # an unsaved copy of the catalog's row: its scenario and content hash as frozen
    files: tuple[ExampleFile, ...]  # unsaved, example.yaml included, in the example's order
    verification: Verification | None  # the newest finished one of the frozen version; its log unread


@dataclass(frozen=True)
class FrozenExamples:
    frozen_at: datetime | None  # None: the workshop is not frozen, and `versions` is empty
    versions: Mapping[ExampleKey, FrozenVersion]


NOT_FROZEN = FrozenExamples(None, {})


def frozen_examples(workshop: Workshop, examples: Mapping[ExampleKey, Example]) -> FrozenExamples:
    """The frozen versions of those of `examples` (the catalog's rows) that moved since the freeze."""
    freeze = WorkshopFreeze.objects.filter(workshop=workshop).first()
    if freeze is None:
        return NOT_FROZEN
    moved = {
        key: row
        for row in freeze.examples.all()
        if (key := (row.pattern_slug, row.example_slug)) in examples
        and examples[key].content_hash != row.content_hash
    }
    if not moved:
        return FrozenExamples(freeze.frozen_at, {})
    files: dict[int, list[FrozenFile]] = {}
    for file in FrozenFile.objects.filter(example__in=moved.values()).order_by("position", "path"):
        files.setdefault(file.example_id, []).append(file)
    results = _newest_results({examples[key].pk: row.content_hash for key, row in moved.items()})
    versions = {
        key: _version(examples[key], row, files.get(row.pk, []), results.get(examples[key].pk))
        for key, row in moved.items()
    }
    return FrozenExamples(freeze.frozen_at, versions)


def _version(
    example: Example, row: FrozenExample, files: list[FrozenFile], verification: Verification | None
) -> FrozenVersion:
    stand_in = copy.copy(example)
    stand_in.content_hash = row.content_hash
    stand_in.__dict__.pop("parsed_scenario", None)  # the catalog's, if it was read already
    shown = tuple(build_file(stand_in, file.position, file) for file in files)  # highlighted as a sync does
    if any(file.path == SCENARIO_FILE for file in shown):
        stand_in.scenario = _scenario_dict(shown)
    return FrozenVersion(stand_in, shown, verification)


def _scenario_dict(files: tuple[ExampleFile, ...]) -> dict:
    """The frozen example.yaml, parsed as the sync parsed it (it was valid then: the freeze copied a
    synced example); {} if it no longer parses, which shows the example without its commands."""
    scenario = scenario_of(tuple((file.path, file.content.encode(), file.executable) for file in files))
    return scenario.to_dict() if scenario else {}


def _newest_results(hashes: dict[int, str]) -> dict[int, Verification]:
    """example id -> its newest finished verification of the given content hash (one query)."""
    only = Q()
    for example_id, content_hash in hashes.items():
        only |= Q(example_id=example_id, example_hash=content_hash)
    rows = (
        Verification.objects.filter(only, state__in=RESULT_STATES)
        .defer("log")
        .order_by(F("finished_at").desc(nulls_last=True), "-pk")
    )
    newest: dict[int, Verification] = {}
    for row in rows:
        newest.setdefault(row.example_id, row)
    for row in newest.values():
        row.log = ""  # neither slides nor handout show it; set, so that reading it costs no query
    return newest
