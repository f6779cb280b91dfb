"""Write workshop files beside a small pattern tree for tests, and verification results with chosen bases."""

import shutil
from pathlib import Path

import yaml

from catalog.models import Example, Workshop
from catalog.workshops.agenda import Agenda, build_agenda
from catalog.workshops.evidence import gather_evidence
from tests import factories
from tests.verification_results import STAND_IN, finished, passed_result

BUSYBOX = "busybox:1.35"
MB = 1_000_000


def workshop(**overrides) -> dict:
    """A valid workshop over the patterns of factories.write_tree (pattern-0 to pattern-2)."""
    data = {
        "title": "Containers in a morning",
        "summary": "Three patterns, shown and measured.",
        "duration": "1h",
        "audience": "people who build images",
        "parts": [
            {
                "title": "First steps",
                "items": [
                    {"pattern": "pattern-0", "minutes": 20, "depth": "core", "notes": "Ask the **room**."},
                    {"pattern": "pattern-1", "minutes": 15, "depth": "extra"},
                ],
            },
            {"title": "Going further", "items": [{"pattern": "pattern-2", "minutes": 10, "depth": "core"}]},
        ],
        "cuts": [{"name": "short", "title": "Short version", "duration": "40m", "drop_depth": ["extra"]}],
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def write_workshop(folder: Path, slug: str = "morning", data: dict | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.yaml"
    path.write_text(yaml.safe_dump(data if data is not None else workshop(), sort_keys=False))
    return path


def write_site(root: Path, patterns: int = 3, data: dict | None = None) -> tuple[Path, Path]:
    """A pattern tree in root/patterns and one workshop in root/workshops; returns both folders."""
    tree, folder = root / "patterns", root / "workshops"
    factories.write_tree(tree, count=patterns)
    write_workshop(folder, data=data)
    return tree, folder


def synced_site(root: Path, patterns: int = 3, second_example: bool = False) -> tuple[Path, Path]:
    """write_site, optionally with a second example of pattern-0, synced into the test database."""
    from catalog.content.importer import sync_patterns

    tree, folder = write_site(root, patterns=patterns)
    if second_example:
        add_example(tree, "pattern-0", "second")
    assert sync_patterns(tree, folder).ok
    return tree, folder


def add_example(tree: Path, pattern: str, slug: str) -> None:
    """A second example folder, a copy of the pattern's `hello`."""
    examples = tree / pattern / "examples"
    shutil.copytree(examples / "hello", examples / slug)


# A base's layers as a run measured them: a size (one layer of its own), (digest, size[, unpacked])
# for layers bases share, or None (the run measured none).
Layers = int | tuple[tuple, ...] | None


def measured_result(bases: dict[str, Layers], seconds: float = 4.2) -> dict:
    """A passed result whose run took `seconds` and read these bases, with their download sizes."""
    result = passed_result()
    result["duration"] = seconds
    result["environment"]["bases"] = [
        {**STAND_IN, "ref": ref, "source": "pulled", "layers": layer_rows(ref, layers)}
        for ref, layers in bases.items()
    ]
    return result


def layer_rows(ref: str, layers: Layers) -> list[dict]:
    if layers is None:
        return []
    if isinstance(layers, int):
        layers = ((f"sha256:{ref}", layers),)
    rows = [dict(zip(("diff_id", "size", "unpacked"), layer, strict=False)) for layer in layers]
    return rows


def example(pattern: str, slug: str = "hello") -> Example:
    return Example.objects.get(pattern__slug=pattern, slug=slug)


def verify_all(**bases_by_pattern: dict[str, Layers]) -> None:
    """A passed run of 10 s for each example of write_site's patterns; bases by pattern (`pattern_1=`)."""
    for pattern in ("pattern-0", "pattern-1", "pattern-2"):
        bases = bases_by_pattern.get(pattern.replace("-", "_"), {BUSYBOX: 2 * MB})
        finished(example(pattern), "passed", measured_result(bases, seconds=10))


def agenda_of(cut_name: str = "", slug: str = "morning") -> Agenda:
    """The agenda as the page builds it (the view's queries, without the request)."""
    shop = Workshop.objects.with_agenda().get(slug=slug)
    cut = next((cut for cut in shop.cuts.all() if cut.name == cut_name), None)
    items = [item for part in shop.parts.all() for item in part.items.all()]
    return build_agenda(shop, gather_evidence({item.pattern_id for item in items}), cut)
