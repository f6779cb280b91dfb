"""patterns/bases.yaml: the pinned base images examples may build FROM, each with an offline recipe."""

from pathlib import Path

from catalog.content.sources import ContentError, load_yaml

RECIPES = {"busybox-static", "debootstrap"}
MOST_BASES = 5
FILE = "bases.yaml"


def load_bases(root: Path, errors: list[ContentError]) -> list[str]:
    """The image references bases.yaml declares; problems go to errors."""
    path = root / FILE
    if not path.is_file():
        errors.append(ContentError(FILE, "", "missing: list the base images examples may use"))
        return []
    data, error = load_yaml(path.read_text(encoding="utf-8"), FILE)
    if error:
        errors.append(error)
        return []
    entries = data.get("bases") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        errors.append(ContentError(FILE, "bases", "expected a list of {image, purpose, offline}"))
        return []
    if len(entries) > MOST_BASES:
        errors.append(ContentError(FILE, "bases", f"keep the set small: at most {MOST_BASES} bases"))
    images = []
    for index, entry in enumerate(entries):
        field = f"bases[{index}]"
        image = entry.get("image") if isinstance(entry, dict) else None
        if not isinstance(image, str) or ":" not in image or image.endswith(":latest"):
            errors.append(ContentError(FILE, f"{field}.image", "expected an image pinned by tag, not latest"))
            continue
        offline = entry.get("offline")
        if not isinstance(offline, dict) or offline.get("recipe") not in RECIPES:
            errors.append(
                ContentError(FILE, f"{field}.offline.recipe", f"expected one of {', '.join(sorted(RECIPES))}")
            )
        if image in images:
            errors.append(ContentError(FILE, f"{field}.image", f"{image} is listed twice"))
        images.append(image)
    return images
