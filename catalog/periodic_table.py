"""Arrange patterns into the periodic table: a block per category, then principles and anti-patterns."""

from dataclasses import dataclass

from catalog.models import Category, Pattern

SEPARATE_KINDS = (
    ("principle", "Principles", "Properties every good container has."),
    ("anti-pattern", "Anti-patterns", "Common mistakes, each linked to the pattern that fixes it."),
    ("platform", "Platform level", "Patterns of the orchestrator, shown with their manifests."),
)


@dataclass(frozen=True)
class Tile:
    pattern: Pattern
    categories: tuple[Category, ...]
    shown: bool  # false when a filter hides it; the tile stays so JavaScript can show it again

    @property
    def category_slugs(self) -> str:
        return " ".join(category.slug for category in self.categories)


@dataclass(frozen=True)
class Block:
    slug: str
    title: str
    description: str
    tiles: tuple[Tile, ...]


@dataclass(frozen=True)
class Table:
    blocks: tuple[Block, ...]
    category: str
    kind: str
    shown: int
    total: int


def build_table(patterns: list[Pattern], categories: list[Category], category: str, kind: str) -> Table:
    """Tiles grouped into blocks; a filter marks tiles hidden rather than dropping them."""
    known = {c.slug for c in categories}
    category = category if category in known else ""
    kind = kind if kind in Pattern.Kind.values else ""
    tiles = [make_tile(pattern, category, kind) for pattern in patterns]
    separate = {slug for slug, _, _ in SEPARATE_KINDS}
    blocks = [
        Block(
            c.slug,
            c.name,
            c.description,
            tuple(
                tile
                for tile in tiles
                if tile.pattern.kind not in separate and tile.categories and tile.categories[0] == c
            ),
        )
        for c in categories
    ]
    blocks += [
        Block(slug, title, description, ordered(t for t in tiles if t.pattern.kind == slug))
        for slug, title, description in SEPARATE_KINDS
    ]
    return Table(
        blocks=tuple(block for block in blocks if block.tiles),
        category=category,
        kind=kind,
        shown=sum(tile.shown for tile in tiles),
        total=len(tiles),
    )


def ordered(tiles) -> tuple[Tile, ...]:
    """Anti-patterns and platform patterns stay grouped by category; principles are not about one,
    so their own order alone places them (the order in which the source presents them)."""
    tiles = list(tiles)
    if tiles and tiles[0].pattern.kind == "principle":
        tiles.sort(key=lambda tile: (tile.pattern.position, tile.pattern.name))
    return tuple(tiles)


def make_tile(pattern: Pattern, category: str, kind: str) -> Tile:
    categories = tuple(pattern.ordered_categories)
    shown = (not category or any(c.slug == category for c in categories)) and (
        not kind or pattern.kind == kind
    )
    return Tile(pattern=pattern, categories=categories, shown=shown)
