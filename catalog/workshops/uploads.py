"""A workshop file a trainer uploads, checked by the curated files' own loader against the published catalog.

What a person uploads is data: at most MAX_BYTES, UTF-8, read with yaml.safe_load (through
the loader), and without anchors or aliases, whose repetitions could make a small file
stand for a huge workshop.
"""

from collections import defaultdict

import yaml

from catalog.content.sources import ContentError
from catalog.models import Example, Pattern
from catalog.workshops.loader import Catalog, read_workshop
from catalog.workshops.owned import size_errors
from catalog.workshops.sources import WorkshopSource

MAX_BYTES = 64 * 1024


def published_catalog() -> Catalog:
    """What a trainer's workshop may name: the published patterns and their examples, in two queries."""
    examples = defaultdict(list)
    rows = Example.objects.filter(pattern__published=True).order_by("position", "slug")
    for pattern, slug in rows.values_list("pattern__slug", "slug"):
        examples[pattern].append(slug)
    slugs = Pattern.objects.published().values_list("slug", flat=True)
    return Catalog({slug: tuple(examples[slug]) for slug in slugs}, frozenset())


def read_upload(
    data: bytes, file: str, slug: str = "upload", catalog: Catalog | None = None
) -> tuple[WorkshopSource | None, list[ContentError]]:
    """The checked workshop, or every problem found, each named by its field path."""
    if len(data) > MAX_BYTES:
        return None, [ContentError(file, "", f"the file is over {MAX_BYTES // 1024} KiB")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return None, [ContentError(file, "", f"not UTF-8 text (byte {error.start})")]
    if _has_aliases(text):
        return None, [ContentError(file, "", "anchors and aliases (& and *) are not accepted in an upload")]
    errors: list[ContentError] = []
    source = read_workshop(text, slug, file, catalog or published_catalog(), errors)
    if source is not None:
        errors.extend(size_errors(source, file))
    return (None if errors else source), errors


def _has_aliases(text: str) -> bool:
    try:
        return any(isinstance(event, yaml.AliasEvent) for event in yaml.parse(text, Loader=yaml.SafeLoader))
    except yaml.YAMLError:
        return False  # the loader reports the syntax error with its line
