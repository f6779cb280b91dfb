"""A workshop's agenda: the author's minutes beside measured build-and-run times and download sizes.

Pure functions over loaded rows (a workshop from `Workshop.objects.with_agenda()`) and the
Evidence of its examples: no query here. A download is what pulling the bases costs, compressed
as a registry sends them; a layer is counted once per part and once for the event, however many
items or bases share it: a pull fetches it once.
"""

from collections.abc import Sequence
from dataclasses import dataclass

from catalog.verifications.result import format_duration
from catalog.workshops.evidence import Evidence, ExampleEvidence
from catalog.workshops.models import Workshop, WorkshopCut, WorkshopItem, WorkshopPart
from catalog.workshops.sources import duration_text
from worker.contract.quantities import format_size
from worker.contract.report import download_size


@dataclass(frozen=True)
class Download:
    """The base images a stretch of the agenda needs and the bytes a pull fetches; `unknown`: not measured."""

    bases: tuple[str, ...]
    size: int
    unknown: tuple[str, ...]

    @property
    def size_text(self) -> str:
        return format_size(self.size) if self.bases else "none"


@dataclass(frozen=True)
class Measured:
    """Seconds of the examples' newest passed runs, and the examples that have none."""

    seconds: float | None
    missing: tuple[str, ...]

    @property
    def text(self) -> str:
        return format_duration(self.seconds) if self.seconds is not None else "not measured"


@dataclass(frozen=True)
class ItemLine:
    item: WorkshopItem
    examples: tuple[ExampleEvidence, ...]
    measured: Measured
    download: Download
    warning: str


@dataclass(frozen=True)
class PartLine:
    part: WorkshopPart
    items: tuple[ItemLine, ...]
    minutes: int
    measured: Measured
    download: Download


@dataclass(frozen=True)
class Agenda:
    parts: tuple[PartLine, ...]
    cut: WorkshopCut | None
    dropped: tuple[WorkshopItem, ...]
    minutes: int  # the items' minutes, summed
    target: int  # the minutes they must fit in: the cut's duration, else the workshop's
    measured: Measured
    download: Download
    stand_ins: tuple[str, ...]  # bases measured as offline stand-ins, whose published size differs

    @property
    def items(self) -> tuple[ItemLine, ...]:
        return tuple(line for part in self.parts for line in part.items)

    @property
    def spare(self) -> int:
        return self.target - self.minutes

    @property
    def fit_warning(self) -> str:
        if self.spare >= 0:
            return ""
        what = f"the cut “{self.cut.title}”" if self.cut else "the workshop"
        return (
            f"The items add up to {duration_text(self.minutes)}, {-self.spare} min more than "
            f"the {duration_text(self.target)} of {what}."
        )


def build_agenda(workshop: Workshop, evidence: Evidence, cut: WorkshopCut | None = None) -> Agenda:
    parts, dropped = [], []
    for part in workshop.parts.all():
        kept = []
        for item in part.items.all():
            (kept if cut is None or cut.keeps(item) else dropped).append(item)
        if kept:
            parts.append(part_line(part, tuple(item_line(item, evidence) for item in kept), evidence))
    examples = [example for part in parts for line in part.items for example in line.examples]
    needed = download(examples, evidence)
    return Agenda(
        parts=tuple(parts),
        cut=cut,
        dropped=tuple(dropped),
        minutes=sum(part.minutes for part in parts),
        target=cut.duration_minutes if cut else workshop.duration_minutes,
        measured=measured(examples),
        download=needed,
        stand_ins=tuple(ref for ref in needed.bases if ref in evidence.stand_ins),
    )


def item_line(item: WorkshopItem, evidence: Evidence) -> ItemLine:
    examples = tuple(evidence.of(item.pattern.slug, slug) for slug in item.examples)
    took = measured(examples)
    warning = ""
    if took.seconds is not None and took.seconds > item.minutes * 60:
        warning = f"Building and running its examples takes longer than the {item.minutes} min given."
    return ItemLine(item, examples, took, download(examples, evidence), warning)


def part_line(part: WorkshopPart, lines: tuple[ItemLine, ...], evidence: Evidence) -> PartLine:
    examples = [e for line in lines for e in line.examples]
    return PartLine(
        part=part,
        items=lines,
        minutes=sum(line.item.minutes for line in lines),
        measured=measured(examples),
        download=download(examples, evidence),
    )


def measured(examples: Sequence[ExampleEvidence]) -> Measured:
    times = [e.seconds for e in examples if e.seconds is not None]
    missing = tuple(e.slug for e in examples if e.seconds is None)
    return Measured(sum(times) if times else None, missing)


def download(examples: Sequence[ExampleEvidence], evidence: Evidence) -> Download:
    bases = tuple(dict.fromkeys(ref for e in examples for ref in e.bases))  # each once, in order of need
    return Download(
        bases=bases,
        size=download_size(evidence.base_layers.get(ref, ()) for ref in bases),
        unknown=tuple(ref for ref in bases if ref not in evidence.base_layers),
    )
