"""A workshop's slides, generated from the catalog's rows and never written by hand, so they cannot drift.

The deck opens with a title slide and the agenda, then per part a title slide and per item: the
pattern and its problem in a sentence, and for each example shown the key Dockerfile lines, the
commands with what each did in the last verification, the verified result and the layer charts.
Pure functions over what catalog/workshops/deck.py loads: no query here.
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from catalog.models import Example
from catalog.verifications.command_rows import CommandRow
from catalog.verifications.result import Report
from catalog.workshops.agenda import Agenda, ItemLine, PartLine
from catalog.workshops.key_lines import KeyLines
from catalog.workshops.models import Workshop
from catalog.workshops.sources import duration_text

COMMANDS_PER_SLIDE = 5  # more is unreadable from the back of a room: they are shared over two slides
MAX_CHARTS = 3  # layer charts side by side on one slide
PRINTED_CHARS = 90


@dataclass(frozen=True)
class CommandLine:
    number: int  # counted from 1, as the pattern page numbers them
    row: CommandRow
    printed: str  # the last line it printed, shortened: what the room will see on its own screen


@dataclass(frozen=True)
class Shown:
    """One example of an item, as its slides show it."""

    example: Example
    dockerfiles: tuple[KeyLines, ...]
    commands: tuple[CommandLine, ...]
    report: Report | None  # the newest finished verification; None before the first

    @property
    def charts(self) -> tuple:
        return self.report.images[:MAX_CHARTS] if self.report else ()


@dataclass(frozen=True)
class Slide:
    kind: str  # title, agenda, part, pattern, dockerfile, commands, result, layers
    title: str  # what the slide is called in the presenter's view and to a screen reader
    notes_html: str = ""  # the item's speaker notes, sanitised when the workshop was synced
    notes_text: str = ""  # a note the deck writes itself, plain text
    part: PartLine | None = None
    part_number: int = 0
    line: ItemLine | None = None
    shown: Shown | None = None
    examples: tuple[Shown, ...] = ()  # on a pattern slide: every example the item shows
    commands: tuple[CommandLine, ...] = ()  # on a commands slide: this slide's share
    page: tuple[int, int] = (1, 1)  # this slide's share of the commands: (n, of)

    @property
    def template(self) -> str:
        return f"workshops/slides_{self.kind}.html"

    @property
    def has_notes(self) -> bool:
        return bool(self.notes_html or self.notes_text)


@dataclass(frozen=True)
class Deck:
    workshop: Workshop
    agenda: Agenda
    slides: tuple[Slide, ...]
    lost_cut: str = ""  # the cut a live presentation was started with, since removed: all is shown
    frozen_at: datetime | None = None  # the workshop's examples are shown as they were frozen then

    @property
    def cut(self):
        return self.agenda.cut


def build_deck(workshop: Workshop, agenda: Agenda, shown: Mapping[tuple[str, str], Shown]) -> Deck:
    """Every slide in order; `shown` maps (pattern slug, example slug) to what its slides show."""
    slides = [title_slide(workshop, agenda), agenda_slide(agenda)]
    for number, part in enumerate(agenda.parts, start=1):
        items = ", ".join(f"{line.item.pattern.name} ({line.item.minutes} min)" for line in part.items)
        slides.append(
            Slide(
                "part",
                f"Part {number}: {part.part.title}",
                notes_text=f"{part.minutes} min for this part: {items}.",
                part=part,
                part_number=number,
            )
        )
        for line in part.items:
            slides += item_slides(line, part, number, shown)
    return Deck(workshop, agenda, tuple(slides))


def title_slide(workshop: Workshop, agenda: Agenda) -> Slide:
    if agenda.fit_warning:
        fit = agenda.fit_warning
    else:
        fit = f"The items take {duration_text(agenda.minutes)}, {agenda.spare} min are left for questions."
    return Slide("title", workshop.title, notes_text=f"{fit} Press P for the presenter view.")


def agenda_slide(agenda: Agenda) -> Slide:
    bases = agenda.download.bases
    needs = (
        f"Attendees need these base images before the first item: {', '.join(bases)} "
        f"({agenda.download.size_text})."
        if bases
        else "No base image has been measured yet."
    )
    return Slide("agenda", "Agenda", notes_text=needs)


def item_slides(line: ItemLine, part: PartLine, number: int, shown: Mapping) -> list[Slide]:
    item = line.item
    name = item.pattern.name
    # The item's notes travel with all of its slides: the presenter sees them whichever is up.
    common = {"notes_html": item.notes_html, "part": part, "part_number": number, "line": line}
    keys = [(item.pattern.slug, slug) for slug in item.examples]
    examples = tuple(shown[key] for key in keys if key in shown)
    slides = [Slide("pattern", name, examples=examples, **common)]
    for example in examples:
        title = example.example.title
        if example.dockerfiles:
            dockerfile = f"{name}: the Dockerfile of “{title}”"
            slides.append(Slide("dockerfile", dockerfile, shown=example, **common))
        pages = split_evenly(example.commands, COMMANDS_PER_SLIDE)
        for page, commands in enumerate(pages, start=1):
            of = f" ({page} of {len(pages)})" if len(pages) > 1 else ""
            slides.append(
                Slide(
                    "commands",
                    f"{name}: try “{title}”{of}",
                    shown=example,
                    commands=commands,
                    page=(page, len(pages)),
                    **common,
                )
            )
        slides.append(Slide("result", f"{name}: what “{title}” proved", shown=example, **common))
        if example.charts:
            slides.append(Slide("layers", f"{name}: the layers of “{title}”", shown=example, **common))
    return slides


def split_evenly(lines: tuple, most: int) -> list[tuple]:
    """As few pages of at most `most` as there must be, as even as they can be (six: three and three)."""
    if not lines:
        return []
    pages = -(-len(lines) // most)
    size = -(-len(lines) // pages)
    return [lines[start : start + size] for start in range(0, len(lines), size)]


def command_lines(rows: tuple[CommandRow, ...]) -> tuple[CommandLine, ...]:
    return tuple(CommandLine(number, row, last_printed(row)) for number, row in enumerate(rows, start=1))


def last_printed(row: CommandRow) -> str:
    if row.result is None or not row.result.output:
        return ""
    lines = [line.strip() for line in row.result.output.splitlines() if line.strip()]
    if not lines:
        return ""
    last = lines[-1]
    return last if len(last) <= PRINTED_CHARS else last[: PRINTED_CHARS - 1] + "…"
