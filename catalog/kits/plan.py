"""What a workshop's offline kit holds and weighs, read from the database alone.

The page shows these figures before anyone builds the kit, and `build.py` writes exactly this
plan. The images' figures are the bases' layers as the latest verifications measured them
(worker/bases/downloads.py): `packed` is the compressed size (what the kit's images add to the
archive, as a registry would send them), `unpacked` what `images.tar` and the engine hold.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Prefetch

from catalog.content.sources import SCENARIO_FILE, load_yaml
from catalog.models import Example, ExampleFile
from catalog.workshops.agenda import Agenda, build_agenda
from catalog.workshops.evidence import Evidence, gather_evidence
from catalog.workshops.freeze import frozen_files
from catalog.workshops.lookup import NoSuchWorkshop, find_workshop
from catalog.workshops.models import Workshop, WorkshopCut
from worker.contract.quantities import format_size
from worker.contract.report import distinct_layers
from worker.engine.environment import base_refs
from worker.scenario.model import Command, Scenario
from worker.scenario.parser import parse_scenario


def disk_after_loading(images_tar: int, files: int) -> int:
    """Free disk to unpack the kit (images.tar as stored, the other files) and load the images into the
    engine, which keeps the same layers again; the archive itself comes on top while it is kept."""
    return 2 * images_tar + files


@dataclass(frozen=True)
class KitExample:
    number: int
    pattern: str
    slug: str
    title: str  # the pattern's name, for the kit's README
    files: tuple[tuple[str, bytes, bool], ...]  # path, content, executable; example.yaml left out
    commands: tuple[Command, ...]

    @property
    def folder(self) -> str:
        return f"examples/{self.number:02d}-{self.pattern}--{self.slug}"


@dataclass(frozen=True)
class KitPlan:
    workshop: Workshop
    cut: WorkshopCut | None
    examples: tuple[KitExample, ...]
    bases: tuple[str, ...]  # in order of need
    unmeasured: tuple[str, ...]  # bases no verification measured: their size is left out
    packed: int  # the bases' layers compressed, each once
    unpacked: int  # the same layers as stored

    @property
    def name(self) -> str:
        return f"{self.workshop.slug}--{self.cut.name}" if self.cut else self.workshop.slug

    @property
    def files_size(self) -> int:
        return sum(len(content) for example in self.examples for _, content, _ in example.files)

    @property
    def archive_estimate(self) -> int:
        """The download: compressed images, and the examples' text (compressed too, so an upper bound)."""
        return self.packed + self.files_size

    @property
    def disk_needed(self) -> int:
        return disk_after_loading(self.unpacked, self.files_size)

    @property
    def archive_text(self) -> str:
        return format_size(self.archive_estimate)

    @property
    def disk_text(self) -> str:
        return format_size(self.disk_needed)


def plan_kit(workshop: Workshop, agenda: Agenda, evidence: Evidence) -> KitPlan:
    """The kit of the agenda's items (the whole workshop or its cut), in agenda order.

    A frozen workshop's kit holds its examples as they were frozen (catalog/workshops/freeze.py);
    an example the freeze does not hold (an item added since) comes from the catalog.
    """
    lines = agenda.items
    rows = examples_with_files({line.item.pattern_id for line in lines})
    frozen = frozen_files(workshop) or {}
    examples, bases = [], {}
    for line in lines:
        for slug in line.item.examples:
            source = frozen.get((line.item.pattern.slug, slug))
            if source is None and (example := rows.get((line.item.pattern_id, slug))) is not None:
                source = tuple(
                    (file.path, file.content.encode(), file.executable) for file in example.files.all()
                )
            if source is None:
                continue
            scenario = scenario_of(source)
            if scenario:  # what its Dockerfiles build FROM, verified or not
                bases.update(dict.fromkeys(base_refs(scenario, {p: (c, x) for p, c, x in source})))
            examples.append(
                KitExample(
                    number=len(examples) + 1,
                    pattern=line.item.pattern.slug,
                    slug=slug,
                    title=line.item.pattern.name,
                    files=tuple(file for file in source if file[0] != SCENARIO_FILE),
                    commands=scenario.commands if scenario else (),
                )
            )
    layers = distinct_layers(evidence.base_layers.get(ref, ()) for ref in bases)
    return KitPlan(
        workshop=workshop,
        cut=agenda.cut,
        examples=tuple(examples),
        bases=tuple(bases),
        unmeasured=tuple(ref for ref in bases if ref not in evidence.base_layers),
        packed=sum(layer.size for layer in layers),
        unpacked=sum(layer.unpacked for layer in layers),
    )


def scenario_of(files: tuple[tuple[str, bytes, bool], ...]) -> Scenario | None:
    """The scenario an example's own example.yaml describes (the catalog checked it when it was synced)."""
    texts = {path: content.decode(errors="replace") for path, content, _ in files}
    text = texts.pop(SCENARIO_FILE, None)
    raw, error = load_yaml(text, SCENARIO_FILE) if text is not None else (None, True)
    if error:
        return None
    scenario, _ = parse_scenario(raw, texts)
    return scenario


def examples_with_files(pattern_ids: set[int]) -> dict[tuple[int, str], Example]:
    """The examples of these patterns with their files: two queries, no verification read."""
    files = Prefetch("files", queryset=ExampleFile.objects.order_by("position", "path"))
    examples = Example.objects.filter(pattern_id__in=pattern_ids).prefetch_related(files)
    return {(example.pattern_id, example.slug): example for example in examples}


# A kit is asked for by its workshop's slug and cut name: the same lookup, the same messages.
NoSuchKit = NoSuchWorkshop


def plan_for(slug: str, cut_name: str = "") -> KitPlan:
    """The kit plan of a workshop (curated or a trainer's) or of one of its cuts, by name."""
    workshop, cut = find_workshop(slug, cut_name)
    items = [item for part in workshop.parts.all() for item in part.items.all()]
    evidence = gather_evidence({item.pattern_id for item in items})
    return plan_kit(workshop, build_agenda(workshop, evidence, cut), evidence)
