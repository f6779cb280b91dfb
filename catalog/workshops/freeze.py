"""A frozen workshop read back: its files for the kit, and what changed in the catalog since the freeze.

`frozen_files` is what the kit build reads instead of the catalog's current files when a workshop
is frozen; `freeze_state` is the workshop page's "Frozen on <date>" with each example that moved.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch

from catalog.models import Example, ExampleFile
from catalog.workshops.examples_shown import examples_of, items_of
from catalog.workshops.freeze_models import (
    FrozenExample,
    FrozenFile,
    WorkshopFreeze,
    file_digest,
    freeze_workshop,
)
from catalog.workshops.models import Workshop

FrozenFiles = dict[tuple[str, str], tuple[tuple[str, bytes, bool], ...]]


def freeze_now(workshop: Workshop, user=None) -> WorkshopFreeze:
    """Freeze every item's examples as the catalog has them now (the whole workshop: cuts are subsets).

    `workshop` comes with its agenda (Workshop.objects.with_agenda()).
    """
    files = Prefetch("files", queryset=ExampleFile.objects.order_by("position", "path"))
    examples = examples_of(items_of(workshop, None), Example.objects.prefetch_related(files))
    return freeze_workshop(workshop, examples, user)


def frozen_files(workshop: Workshop) -> FrozenFiles | None:
    """(pattern slug, example slug) -> its files as frozen, (path, content, executable) in the example's
    order, example.yaml included; the examples in agenda order. None when the workshop is not frozen.

    Two queries whatever the number of examples.
    """
    freeze = WorkshopFreeze.objects.filter(workshop=workshop).first()
    if freeze is None:
        return None
    examples = freeze.examples.prefetch_related(Prefetch("files", queryset=FrozenFile.objects.order_by()))
    return {
        (example.pattern_slug, example.example_slug): tuple(
            (file.path, file.content.encode(), file.executable)
            for file in sorted(example.files.all(), key=lambda file: (file.position, file.path))
        )
        for example in examples
    }


@dataclass(frozen=True)
class ExampleMoved:
    """An example whose catalog version is no longer the one frozen."""

    pattern: str
    example: str
    removed: bool = False  # no longer in the catalog
    since: bool = False  # an item added to the workshop after the freeze shows it: the freeze lacks it
    added: tuple[str, ...] = ()  # paths
    deleted: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()

    @property
    def words(self) -> str:
        if self.removed:
            return "removed from the catalog"
        if self.since:
            return "added to the workshop since the freeze, so not frozen: shown as the catalog has it now"
        said = [
            f"{label} {', '.join(paths)}"
            for label, paths in (("changed", self.changed), ("added", self.added), ("removed", self.deleted))
            if paths
        ]
        # The hash covers the scenario too, and the scenario is read from example.yaml: a moved hash with
        # the same files is rare (a sync of another version's normalisation), but it is said as it is.
        return "; ".join(said) or "its content hash moved, its files are the same"


@dataclass(frozen=True)
class FreezeState:
    frozen_at: datetime
    examples: int
    moved: tuple[ExampleMoved, ...]


def freeze_state(workshop: Workshop) -> FreezeState | None:
    """When the workshop was frozen and which of its frozen examples moved since; None when not frozen.

    Five queries at most: the freeze, its examples, the catalog's, and the files of the moved ones.
    `workshop` comes with its agenda (Workshop.objects.with_agenda()): an example an item shows that
    the freeze does not hold (the item was added since) is said too.
    """
    freeze = WorkshopFreeze.objects.filter(workshop=workshop).first()
    if freeze is None:
        return None
    frozen = list(freeze.examples.all())
    rows = Example.objects.filter(pattern__slug__in={row.pattern_slug for row in frozen})
    current = {
        (pattern, slug): (pk, content_hash)
        for pattern, slug, pk, content_hash in rows.values_list("pattern__slug", "slug", "pk", "content_hash")
    }
    moved = [
        row
        for row in frozen
        if current.get((row.pattern_slug, row.example_slug), (None, ""))[1] != row.content_hash
    ]
    held = {(row.pattern_slug, row.example_slug) for row in frozen}
    since = [
        ExampleMoved(*key, since=True)
        for key in dict.fromkeys(
            (item.pattern.slug, slug) for item in items_of(workshop, None) for slug in item.examples
        )
        if key not in held
    ]
    return FreezeState(freeze.frozen_at, len(frozen), (*_what_moved(moved, current), *since))


def _what_moved(
    moved: list[FrozenExample], current: dict[tuple[str, str], tuple[int, str]]
) -> Iterable[ExampleMoved]:
    if not moved:
        return []
    then = {}
    for example_id, path, sha256 in FrozenFile.objects.filter(example__in=moved).values_list(
        "example_id", "path", "sha256"
    ):
        then.setdefault(example_id, {})[path] = sha256
    ids = {current[key][0] for row in moved if (key := (row.pattern_slug, row.example_slug)) in current}
    now = {}
    for example_id, path, content in ExampleFile.objects.filter(example_id__in=ids).values_list(
        "example_id", "path", "content"
    ):
        now.setdefault(example_id, {})[path] = file_digest(content)
    found = []
    for row in moved:
        key = (row.pattern_slug, row.example_slug)
        if key not in current:
            found.append(ExampleMoved(*key, removed=True))
            continue
        old, new = then.get(row.pk, {}), now.get(current[key][0], {})
        found.append(
            ExampleMoved(
                *key,
                added=tuple(sorted(new.keys() - old.keys())),
                deleted=tuple(sorted(old.keys() - new.keys())),
                changed=tuple(sorted(path for path in old.keys() & new.keys() if old[path] != new[path])),
            )
        )
    return found
