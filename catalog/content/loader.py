"""Read the whole patterns/ tree and check it, collecting every error before anything is written."""

import re
from dataclasses import dataclass
from pathlib import Path

from catalog.content.bases import load_bases
from catalog.content.examples import load_example
from catalog.content.sources import ContentError, PatternSource, load_yaml, read_text
from catalog.content.taxonomy import CATEGORY_SLUGS, KINDS, RELATIONS, SECTIONS, SLUG_PATTERN
from catalog.verifications.before_after import before_and_after
from catalog.verifications.comparison import image_pairs
from worker.scenario import Scenario

SLUG = SLUG_PATTERN
SYMBOL = re.compile(r"^[A-Z][A-Za-z]{1,2}$")
FRONT_MATTER_FIELDS = {
    "name",
    "symbol",
    "categories",
    "kind",
    "summary",
    "related",
    "sources",
    "order",
    "unverifiable",
}
HEADING = re.compile(r"^##\s+(.+?)\s*#*\s*$", re.MULTILINE)


@dataclass(frozen=True)
class Tree:
    patterns: tuple[PatternSource, ...]
    bases: tuple[str, ...]
    errors: tuple[ContentError, ...]


def load_tree(root: Path) -> Tree:
    """Every pattern folder under root, checked alone and against each other."""
    errors: list[ContentError] = []
    if not root.is_dir():
        return Tree((), (), (ContentError(str(root), "", "the patterns folder does not exist"),))
    bases = load_bases(root, errors)
    patterns = []
    for folder in sorted(path for path in root.iterdir() if path.is_dir()):
        if folder.name.startswith("."):
            continue
        pattern = load_pattern(root, folder, set(bases), errors)
        if pattern:
            patterns.append(pattern)
    check_across(patterns, errors)
    return Tree(tuple(patterns), tuple(bases), tuple(errors))


def load_pattern(
    root: Path, folder: Path, bases: set[str], errors: list, *, trust: str = "curated"
) -> PatternSource | None:
    """The pattern in `folder`, its examples checked for `trust`; None, with errors, if invalid."""
    readme = folder / "README.md"
    file = str(readme.relative_to(root))
    before = len(errors)
    if not SLUG.match(folder.name):
        errors.append(ContentError(folder.name, "", "folder names are slugs: lower-case words joined by '-'"))
    if not readme.is_file():
        errors.append(ContentError(file, "", "missing: every pattern folder needs a README.md"))
        return None
    text = read_text(readme, file, errors)
    if text is None:
        return None
    meta, body = split_front_matter(text, file, errors)
    if meta is None:
        return None
    fields = FieldReader(meta, file, errors)
    fields.reject_unknown(FRONT_MATTER_FIELDS)
    name = fields.text("name")
    symbol = fields.matching("symbol", SYMBOL, "2-3 letters, the first upper case, such as 'Efe'")
    categories = fields.choices("categories", CATEGORY_SLUGS, most=2)
    kind = fields.choice("kind", KINDS)
    summary = fields.text("summary")
    related = fields.related()
    sources = fields.sources()
    order = meta.get("order", 1000)
    if not isinstance(order, int) or isinstance(order, bool):
        errors.append(ContentError(file, "order", "expected a whole number"))
    check_sections(body, file, errors)
    unverifiable = fields.optional_text("unverifiable")
    examples = load_examples(root, folder, bases, errors, trust)
    check_proof(kind, unverifiable, examples, folder, file, errors)
    if kind == "anti-pattern":
        check_before_and_after(examples, folder.name, errors)
    if len(errors) > before:
        return None
    return PatternSource(
        slug=folder.name,
        name=name,
        symbol=symbol,
        categories=tuple(categories),
        kind=kind,
        summary=summary,
        related=tuple(related),
        sources=tuple(sources),
        order=order,
        body=body,
        examples=tuple(examples),
        unverifiable=unverifiable,
    )


def check_proof(kind: str, unverifiable: str, examples: list, folder: Path, file: str, errors: list) -> None:
    """Every page proves itself on the engine, except platform patterns that say why they cannot."""
    if unverifiable and kind != "platform":
        errors.append(
            ContentError(file, "unverifiable", "only platform patterns may go without a verified example")
        )
    elif not unverifiable and not (folder / "examples").is_dir():
        errors.append(
            ContentError(
                file,
                "examples",
                "every pattern needs an examples/ folder; a platform pattern that no Docker engine "
                "can prove says why in 'unverifiable' instead",
            )
        )


def check_before_and_after(examples: list, slug: str, errors: list) -> None:
    """An anti-pattern is shown as a measured before and after: two images, or the run's two sides."""
    for example in examples:
        # The same rules that decide what the page shows: an image comparison, or the two sides.
        scenario = Scenario.from_dict(example.scenario)
        names = [image.name for image in scenario.images]
        if image_pairs(scenario, names) or before_and_after(scenario, ()) is not None:
            continue
        errors.append(
            ContentError(
                f"{slug}/examples/{example.slug}/example.yaml",
                "steps",
                "an anti-pattern's example measures the mistake against its fix: compare two images "
                "('compare', or exactly two images), or mark the steps with 'side: before' and 'side: after'",
            )
        )


def split_front_matter(text: str, file: str, errors: list) -> tuple[dict | None, str]:
    if not text.startswith("---\n"):
        errors.append(ContentError(file, "front matter", "the file must start with a '---' line"))
        return None, ""
    end = text.find("\n---\n", 4)
    if end < 0:
        errors.append(ContentError(file, "front matter", "no closing '---' line"))
        return None, ""
    meta, error = load_yaml(text[4:end], file, line_offset=1)
    if error:
        errors.append(error)
        return None, ""
    if not isinstance(meta, dict):
        errors.append(ContentError(file, "front matter", "expected a mapping of fields"))
        return None, ""
    return meta, text[end + 5 :].strip() + "\n"


def check_sections(body: str, file: str, errors: list) -> None:
    found = HEADING.findall(body)
    if [heading for heading in found if heading in SECTIONS] != list(SECTIONS):
        expected = ", ".join(f"'## {section}'" for section in SECTIONS)
        errors.append(ContentError(file, "body", f"expected the sections {expected}, in that order"))


def load_examples(root: Path, folder: Path, bases: set[str], errors: list, trust: str = "curated") -> list:
    examples_dir = folder / "examples"
    if not examples_dir.is_dir():
        return []
    examples = []
    for example_dir in sorted(path for path in examples_dir.iterdir() if path.is_dir()):
        example = load_example(root, example_dir, bases, errors, trust=trust)
        if example:
            examples.append(example)
    return examples


def check_across(patterns: list[PatternSource], errors: list) -> None:
    """Rules that need the whole tree: unique symbols, related patterns that exist, fixes."""
    slugs = {pattern.slug for pattern in patterns}
    check_fixes(patterns, slugs, errors)
    owners: dict[str, str] = {}
    for pattern in patterns:
        file = f"{pattern.slug}/README.md"
        key = pattern.symbol.lower()
        if key in owners:
            errors.append(
                ContentError(file, "symbol", f"{pattern.symbol!r} is already used by {owners[key]}")
            )
        owners.setdefault(key, pattern.slug)
        for index, (slug, _relation) in enumerate(pattern.related):
            if slug not in slugs:
                errors.append(
                    ContentError(file, f"related[{index}].pattern", f"no pattern folder named {slug!r}")
                )
            elif slug == pattern.slug:
                errors.append(
                    ContentError(file, f"related[{index}].pattern", "a pattern cannot relate to itself")
                )


def check_fixes(patterns: list[PatternSource], slugs: set[str], errors: list) -> None:
    """Every anti-pattern is fixed by some pattern, declared on either side."""
    fixed = {slug for p in patterns for slug, relation in p.related if relation == "fixes"}
    fixed |= {
        p.slug for p in patterns for slug, relation in p.related if relation == "fixed-by" and slug in slugs
    }
    for pattern in patterns:
        if pattern.kind == "anti-pattern" and pattern.slug not in fixed:
            errors.append(
                ContentError(
                    f"{pattern.slug}/README.md",
                    "related",
                    "an anti-pattern needs the pattern that fixes it: add {pattern: ..., relation: fixed-by}",
                )
            )


class FieldReader:
    """Reads front-matter fields, recording an error per field that is missing or malformed."""

    def __init__(self, meta: dict, file: str, errors: list):
        self.meta, self.file, self.errors = meta, file, errors

    def fail(self, field: str, message: str) -> None:
        self.errors.append(ContentError(self.file, field, message))

    def reject_unknown(self, known: set[str]) -> None:
        for key in sorted(set(self.meta) - known, key=str):
            self.fail(str(key), f"unknown field; expected {', '.join(sorted(known))}")

    def text(self, field: str) -> str:
        value = self.meta.get(field)
        if not isinstance(value, str) or not value.strip():
            self.fail(field, "required text is missing")
            return ""
        return value.strip()

    def optional_text(self, field: str) -> str:
        value = self.meta.get(field, "")
        if not isinstance(value, str):
            self.fail(field, "expected text")
            return ""
        return value.strip()

    def matching(self, field: str, pattern: re.Pattern, description: str) -> str:
        value = self.meta.get(field)
        if value is None:
            self.fail(field, f"required: {description}")
            return ""
        if not isinstance(value, str) or not pattern.match(value):
            self.fail(field, f"{value!r} is not {description}")
            return ""
        return value

    def choice(self, field: str, allowed: tuple[str, ...]) -> str:
        value = self.meta.get(field)
        if value not in allowed:
            self.fail(field, f"{value!r} is not one of {', '.join(allowed)}")
            return ""
        return value

    def choices(self, field: str, allowed: tuple[str, ...], most: int) -> list[str]:
        values = self.meta.get(field)
        if (
            not isinstance(values, list)
            or not 1 <= len(values) <= most
            or not all(isinstance(v, str) for v in values)
        ):
            self.fail(field, f"expected a list of 1 to {most} among {', '.join(allowed)}")
            return []
        for value in values:
            if value not in allowed:
                self.fail(field, f"unknown category {value!r}; expected one of {', '.join(allowed)}")
        if len(set(values)) != len(values):
            self.fail(field, "a category is listed twice")
        return values

    def related(self) -> list[tuple[str, str]]:
        values = self.meta.get("related", [])
        if not isinstance(values, list):
            self.fail("related", "expected a list of {pattern: slug, relation: ...}")
            return []
        related = []
        for index, item in enumerate(values):
            field = f"related[{index}]"
            if not isinstance(item, dict) or not isinstance(item.get("pattern"), str):
                self.fail(f"{field}.pattern", "expected the slug of another pattern")
                continue
            if item.get("relation") not in RELATIONS:
                self.fail(f"{field}.relation", f"expected one of {', '.join(RELATIONS)}")
                continue
            related.append((item["pattern"], item["relation"]))
        return related

    def sources(self) -> list[dict]:
        values = self.meta.get("sources")
        if not isinstance(values, list) or not values:
            self.fail("sources", "required: a list of {title, author, url} the facts come from")
            return []
        sources = []
        for index, item in enumerate(values):
            if not isinstance(item, dict) or not isinstance(item.get("title"), str):
                self.fail(f"sources[{index}].title", "required text is missing")
                continue
            url = item.get("url")
            if url is not None and not (isinstance(url, str) and url.startswith(("https://", "http://"))):
                self.fail(f"sources[{index}].url", "expected an http(s) address")
                continue
            sources.append(
                {key: str(item[key]) for key in ("title", "author", "url", "where") if key in item}
            )
        return sources
