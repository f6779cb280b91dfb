"""patterns/bases.yaml for the content loader: its problems as content errors, its pinned images."""

import functools
from pathlib import Path

from catalog.content.sources import ContentError
from worker.bases.specs import read_bases_file

FILE = "bases.yaml"


def load_bases(root: Path, errors: list[ContentError]) -> list[str]:
    """The image references bases.yaml declares; problems go to errors (worker.base_specs reads the file)."""
    listing = read_bases_file(root / FILE)
    errors.extend(ContentError(FILE, problem.field, problem.message) for problem in listing.problems)
    return listing.pinned_images


def stand_in_differences(root: Path) -> dict[str, str]:
    """Image -> what its offline stand-in is known to differ in, as bases.yaml says now."""
    path = root / FILE
    try:
        changed = path.stat().st_mtime_ns
    except OSError:
        return {}
    return _differences(path, changed)


@functools.lru_cache(maxsize=4)
def _differences(path: Path, changed: int) -> dict[str, str]:
    # Keyed by the file's change time: an edited bases.yaml is read again, an unchanged one once.
    return {spec.image: spec.differs for spec in read_bases_file(path).specs if spec.differs}
