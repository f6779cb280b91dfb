"""patterns/SOURCES.md: every item the sources name has an entry, is folded into one, or is marked missing."""

import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings

from catalog.content.loader import load_tree
from catalog.content.taxonomy import SLUG_PATTERN
from tests.test_catalog import SOURCE_PATTERNS

COVERAGE_TABLE = Path(settings.PATTERNS_DIR) / "SOURCES.md"
SOURCE_DOCUMENTS = Path(settings.BASE_DIR).parent / "shared" / "sources"
SOURCE_NUMBERS = ("000", "001", "002", "003", "004")
HEADER = ["source", "item", "coverage", "reason"]
COVERAGE = re.compile(r"^(?:(?P<how>entry|folded into): (?P<slug>\S+)|missing)$")


@dataclass(frozen=True)
class Row:
    line: int
    source: str
    item: str
    coverage: str
    reason: str

    @property
    def number(self) -> str:
        return self.source[:3]

    @property
    def slug(self) -> str | None:
        match = COVERAGE.match(self.coverage)
        return match and match["slug"]

    def __str__(self) -> str:
        return f"SOURCES.md:{self.line}: {self.source} / {self.item!r} ({self.coverage})"


def read_coverage_table(path: Path) -> list[Row]:
    """The rows of the one table in the file, after its header and separator lines."""
    rows: list[Row] = []
    in_table = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.startswith("|"):
            in_table = False
            continue
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if cells == HEADER:
            assert not rows, f"SOURCES.md:{number}: a second table; keep one"
            in_table = True
        elif in_table and not set("".join(cells)) <= set("-: "):
            assert len(cells) == len(HEADER), f"SOURCES.md:{number}: {len(HEADER)} cells expected: {cells}"
            rows.append(Row(number, *cells))
    return rows


@pytest.fixture(scope="module")
def rows() -> list[Row]:
    found = read_coverage_table(COVERAGE_TABLE)
    assert found, "SOURCES.md has no coverage table"
    return found


def test_every_row_says_how_its_item_is_covered(rows):
    for row in rows:
        assert row.number in SOURCE_NUMBERS, str(row)
        assert row.item, str(row)
        match = COVERAGE.match(row.coverage)
        assert match, f"{row}: write 'entry: <slug>', 'folded into: <slug>' or 'missing'"
        assert match["how"] is None or SLUG_PATTERN.match(match["slug"]), f"{row}: not a slug"
        if match["how"] != "entry":
            assert row.reason, f"{row}: a folded or missing item needs a reason"


def test_every_slug_is_a_pattern_the_loader_reads(rows):
    tree = load_tree(settings.PATTERNS_DIR)
    assert not tree.errors, "\n".join(str(error) for error in tree.errors)
    published = {pattern.slug for pattern in tree.patterns}
    unknown = [str(row) for row in rows if row.slug and row.slug not in published]
    assert unknown == []


def test_every_source_has_rows_under_one_title(rows):
    for number in SOURCE_NUMBERS:
        titles = {row.source for row in rows if row.number == number}
        assert len(titles) == 1, f"source {number}: titles {sorted(titles)}"


def test_no_item_is_listed_twice_for_one_source(rows):
    seen: dict[tuple[str, str], Row] = {}
    for row in rows:
        key = (row.number, row.item.casefold())
        assert key not in seen, f"{row} repeats {seen[key]}"
        seen[key] = row


@pytest.mark.parametrize("source", sorted(key for key in SOURCE_PATTERNS if key[:3] in SOURCE_NUMBERS))
def test_every_slug_test_catalog_expects_is_in_the_table_for_its_source(rows, source):
    listed = {row.slug for row in rows if row.source == source}
    assert listed, f"no rows titled {source!r}, the title tests/test_catalog.py uses"
    assert sorted(set(SOURCE_PATTERNS[source]) - listed) == []


@pytest.mark.skipif(not SOURCE_DOCUMENTS.is_dir(), reason="the source documents are not beside this checkout")
def test_every_item_is_quoted_as_its_source_writes_it(rows):
    texts = {
        path.name[:3]: " ".join(path.read_text(encoding="utf-8").split())
        for path in SOURCE_DOCUMENTS.glob("[0-9][0-9][0-9]_*.txt")
    }
    unquoted = [str(row) for row in rows if row.item not in texts[row.number]]
    assert unquoted == []


def test_no_item_is_missing(rows):
    missing = [str(row) for row in rows if row.coverage == "missing"]
    assert missing == [], "not covered yet:\n" + "\n".join(missing)
