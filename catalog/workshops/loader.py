"""Read workshops/<slug>.yaml and check each against the loaded pattern tree, collecting every error.

Errors are the content loader's ContentError, named by file and field path, such as
`workshops/dockerfiles.yaml: parts[1].items[2].pattern: 'nope' is not a pattern of the catalog`.
"""

from dataclasses import dataclass
from pathlib import Path

from catalog.content.loader import Tree
from catalog.content.sources import ContentError, load_yaml
from catalog.content.taxonomy import SLUG_PATTERN
from catalog.workshops.fields import Fields
from catalog.workshops.sources import DEPTHS, CutSource, ItemSource, PartSource, WorkshopSource

FIELDS = {"title", "summary", "audience", "duration", "date", "parts", "cuts"}
PART_FIELDS = {"title", "items"}
ITEM_FIELDS = {"pattern", "examples", "minutes", "depth", "notes"}
CUT_FIELDS = {"name", "title", "duration", "drop_depth", "drop"}
README = "README.md"  # the format's documentation lives in the folder it documents
TITLE_LIMIT = 200  # the title columns' length


@dataclass(frozen=True)
class Workshops:
    workshops: tuple[WorkshopSource, ...] = ()
    errors: tuple[ContentError, ...] = ()
    folder: str = "workshops"  # how errors name it

    def file(self, slug: str) -> str:
        return f"{self.folder}/{slug}.yaml"


@dataclass(frozen=True)
class Catalog:
    """What a workshop may name: each loaded pattern's examples, and the patterns that failed to load."""

    examples: dict[str, tuple[str, ...]]
    broken: frozenset[str]

    @classmethod
    def of(cls, tree: Tree) -> "Catalog":
        examples = {pattern.slug: tuple(e.slug for e in pattern.examples) for pattern in tree.patterns}
        return cls(examples, frozenset(error.file.split("/", 1)[0] for error in tree.errors))


def load_workshops(folder: Path, tree: Tree) -> Workshops:
    """Every workshop file in the folder; no folder means no curated workshops."""
    if not folder.is_dir():
        return Workshops(folder=folder.name)
    catalog = Catalog.of(tree)
    errors: list[ContentError] = []
    workshops = []
    for path in sorted(folder.iterdir()):
        if path.name.startswith(".") or path.name == README:
            continue
        file = f"{folder.name}/{path.name}"
        if path.is_dir() or path.suffix != ".yaml" or not SLUG_PATTERN.match(path.stem):
            errors.append(
                ContentError(file, "", "a workshop is one <slug>.yaml file; a slug is words joined by '-'")
            )
            continue
        workshop = load_workshop(path, file, catalog, errors)
        if workshop:
            workshops.append(workshop)
    return Workshops(tuple(workshops), tuple(errors), folder.name)


def load_workshop(path: Path, file: str, catalog: Catalog, errors: list) -> WorkshopSource | None:
    return read_workshop(path.read_text(encoding="utf-8"), path.stem, file, catalog, errors)


def read_workshop(text: str, slug: str, file: str, catalog: Catalog, errors: list) -> WorkshopSource | None:
    """One workshop's text, checked; None after recording its errors. Also reads trainers' uploads."""
    data, error = load_yaml(text, file)
    if error:
        errors.append(error)
        return None
    if not isinstance(data, dict):
        errors.append(ContentError(file, "", "expected a mapping of fields (title, summary, ...)"))
        return None
    before = len(errors)
    fields = Fields(data, file, "", errors)
    fields.reject_unknown(FIELDS)
    minutes = fields.duration("duration")
    parts = tuple(load_part(part, catalog) for part in fields.mappings("parts", required=True))
    workshop = WorkshopSource(
        slug=slug,
        title=fields.text("title", limit=TITLE_LIMIT),
        summary=fields.text("summary"),
        audience=fields.text("audience"),
        minutes=minutes,
        parts=parts,
        cuts=tuple(load_cut(cut, minutes) for cut in fields.mappings("cuts")),
        date=fields.date("date"),
    )
    check_examples_once(workshop, fields)
    check_cuts(workshop, fields)
    return workshop if len(errors) == before else None


def load_part(fields: Fields, catalog: Catalog) -> PartSource:
    fields.reject_unknown(PART_FIELDS)
    title = fields.text("title", limit=TITLE_LIMIT)
    return PartSource(
        title, tuple(load_item(item, catalog) for item in fields.mappings("items", required=True))
    )


def load_item(fields: Fields, catalog: Catalog) -> ItemSource:
    fields.reject_unknown(ITEM_FIELDS)
    pattern = fields.text("pattern")
    examples = fields.slugs("examples")
    if pattern in catalog.examples:
        known = catalog.examples[pattern]
        for index, slug in enumerate(examples):
            if slug not in known:
                has = ", ".join(known) or "none"
                fields.fail(
                    f"examples[{index}]", f"{slug!r} is not an example of {pattern!r} (it has: {has})"
                )
    elif pattern in catalog.broken:
        fields.fail("pattern", f"{pattern!r} did not load: fix the errors of its own files first")
    elif pattern:
        fields.fail("pattern", f"{pattern!r} is not a pattern of the catalog")
    return ItemSource(
        pattern=pattern,
        examples=examples or catalog.examples.get(pattern, ()),
        minutes=fields.minutes("minutes"),
        depth=fields.choice("depth", DEPTHS),
        notes=fields.optional_text("notes"),
    )


def load_cut(fields: Fields, workshop_minutes: int) -> CutSource:
    fields.reject_unknown(CUT_FIELDS)
    name = fields.slug("name")
    title = fields.text("title", limit=TITLE_LIMIT)
    minutes = fields.duration("duration")
    if minutes and workshop_minutes and minutes >= workshop_minutes:
        fields.fail("duration", "a cut is a shorter version: its duration is below the workshop's")
    drop_depth = fields.slugs("drop_depth")
    for index, depth in enumerate(drop_depth):
        if depth not in DEPTHS:
            fields.fail(f"drop_depth[{index}]", f"{depth!r} is not one of {', '.join(DEPTHS)}")
    drop = fields.slugs("drop")
    if not drop_depth and not drop:
        fields.fail("", "a cut drops something: give drop_depth, drop or both")
    return CutSource(name, title, minutes, drop_depth, drop)


def check_examples_once(workshop: WorkshopSource, fields: Fields) -> None:
    """Each example is shown once per workshop, so an item's time and a cut's drop mean one thing."""
    shown: dict[tuple[str, str], str] = {}
    for p, part in enumerate(workshop.parts):
        for i, item in enumerate(part.items):
            where = f"parts[{p}].items[{i}]"
            for example in item.examples:
                first = shown.setdefault((item.pattern, example), where)
                if first != where:
                    message = f"example {example!r} of {item.pattern!r} is already shown in {first}"
                    fields.fail(f"{where}.examples", message)


def check_cuts(workshop: WorkshopSource, fields: Fields) -> None:
    """What a cut needs the whole file for: its own name, dropped patterns that are items, an item kept."""
    patterns = {item.pattern for part in workshop.parts for item in part.items}
    names: dict[str, int] = {}
    for index, cut in enumerate(workshop.cuts):
        where = f"cuts[{index}]"
        if cut.name in names:
            fields.fail(f"{where}.name", f"{cut.name!r} is already the name of cuts[{names[cut.name]}]")
        names.setdefault(cut.name, index)
        for d, slug in enumerate(cut.drop):
            if slug not in patterns:
                fields.fail(f"{where}.drop[{d}]", f"{slug!r} is not a pattern of this workshop")
        kept = [item for part in workshop.parts for item in part.items if cut.keeps(item)]
        if patterns and not kept:
            fields.fail(where, "the cut drops every item")
