"""A workshop written as workshops/<slug>.yaml is written: the loader's format, in the curated files' style.

The loader owns the format; this is its inverse. `workshop_source` reads the rows into the
loader's WorkshopSource and `workshop_yaml` writes one, so export(import(file)) gives back the
file itself: block style indented like the curated files, summaries folded at 78 columns,
notes as literal blocks, short lists in brackets, `examples` left out when an item shows all
of its pattern's examples (the loader's default) and durations in the file's words.
"""

import datetime

import yaml

from catalog.workshops.loader import Catalog
from catalog.workshops.models import Workshop
from catalog.workshops.sources import CutSource, ItemSource, PartSource, WorkshopSource, duration_words

WIDTH = 78  # the curated files' folded lines end by this column


class _Folded(str):
    """Prose that reads as one paragraph: folded, so a long summary stays readable in the file."""


class _Literal(str):
    """Markdown: kept line for line."""


class _Inline(list):
    """A short list of slugs, written in brackets."""


class _Dumper(yaml.SafeDumper):
    def increase_indent(self, flow=False, indentless=False):
        # A list under a key is indented below it (`parts:\n  - title: ...`), as people write YAML.
        return super().increase_indent(flow, False)

    def write_folded(self, text):
        # PyYAML breaks a folded line only after it has passed the width; people (and the curated
        # files) break before the word that would pass it. Only one-paragraph text is folded here.
        self.write_indicator(">" + self.determine_block_hints(text), True)
        self.write_line_break()
        self.write_indent()
        for index, word in enumerate(text.split(" ")):
            if index and self.column + 1 + len(word) > self.best_width:
                self.write_indent()
            elif index:
                self._write(" ")
            self._write(word)
        self.write_line_break()

    def _write(self, data: str) -> None:
        self.column += len(data)
        self.stream.write(data)


def _prose(text: str) -> str:
    # Folding is exact only for one line of single-spaced words; anything else keeps PyYAML's choice.
    return _Folded(text) if text and "\n" not in text and "  " not in text and text == text.strip() else text


_Dumper.add_representer(_Folded, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style=">"))
_Dumper.add_representer(_Literal, lambda d, v: d.represent_scalar("tag:yaml.org,2002:str", v, style="|"))
_Dumper.add_representer(
    _Inline, lambda d, v: d.represent_sequence("tag:yaml.org,2002:seq", v, flow_style=True)
)


def workshop_source(workshop: Workshop) -> WorkshopSource:
    """The rows of a workshop loaded `with_agenda()`, as the loader would have read them."""
    return WorkshopSource(
        slug=workshop.slug,
        title=workshop.title,
        summary=workshop.summary,
        audience=workshop.audience,
        minutes=workshop.duration_minutes,
        parts=tuple(
            PartSource(
                part.title,
                tuple(
                    ItemSource(
                        pattern=item.pattern.slug,
                        examples=tuple(item.examples),
                        minutes=item.minutes,
                        depth=item.depth,
                        notes=item.notes_markdown,
                    )
                    for item in part.items.all()
                ),
            )
            for part in workshop.parts.all()
        ),
        cuts=tuple(
            CutSource(
                cut.name, cut.title, cut.duration_minutes, tuple(cut.drop_depths), tuple(cut.drop_patterns)
            )
            for cut in workshop.cuts.all()
        ),
        date=workshop.event_date.isoformat() if workshop.event_date else "",
    )


def workshop_yaml(source: WorkshopSource, catalog: Catalog) -> str:
    """The file's text; `catalog` says which items show all of their pattern's examples."""
    data: dict = {
        "title": source.title,
        "summary": _prose(source.summary),
        "duration": duration_words(source.minutes),
    }
    if source.date:
        data["date"] = _day(source.date)
    data["audience"] = _prose(source.audience)
    data["parts"] = [
        {"title": part.title, "items": [_item(item, catalog) for item in part.items]} for part in source.parts
    ]
    if source.cuts:
        data["cuts"] = [_cut(cut) for cut in source.cuts]
    return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=True, width=WIDTH)


def _item(item: ItemSource, catalog: Catalog) -> dict:
    data: dict = {"pattern": item.pattern}
    if item.examples != catalog.examples.get(item.pattern):
        data["examples"] = _Inline(item.examples)
    data.update(minutes=item.minutes, depth=item.depth)
    if item.notes:
        data["notes"] = _Literal(item.notes + "\n")  # `|` keeps one final line break; the loader strips it
    return data


def _cut(cut: CutSource) -> dict:
    data: dict = {"name": cut.name, "title": cut.title, "duration": duration_words(cut.minutes)}
    if cut.drop_depth:
        data["drop_depth"] = _Inline(cut.drop_depth)
    if cut.drop:
        data["drop"] = _Inline(cut.drop)
    return data


def _day(text: str) -> datetime.date:
    return datetime.date.fromisoformat(text)  # written bare (2026-05-14), as YAML reads a date
