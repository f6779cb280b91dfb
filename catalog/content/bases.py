"""patterns/bases.yaml for the content loader: its problems as content errors, its pinned images."""

from pathlib import Path

from catalog.content.sources import ContentError
from worker.bases.specs import read_bases_file

FILE = "bases.yaml"


def load_bases(root: Path, errors: list[ContentError]) -> list[str]:
    """The image references bases.yaml declares; problems go to errors (worker.base_specs reads the file)."""
    listing = read_bases_file(root / FILE)
    errors.extend(ContentError(FILE, problem.field, problem.message) for problem in listing.problems)
    return listing.pinned_images
