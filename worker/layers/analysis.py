"""Layer analysis of a built image from one pass over its save stream: per-layer changes and waste.

The archive is read once (layer_archive), its blobs ordered by manifest and config
(layer_layout), and the layers applied oldest first to a filesystem of metadata
(layer_stack): each layer's deletions before its additions, as the OCI layer spec says.
Every file version written that the final filesystem does not show is reclaimable, charged
to the layer that wrote it and the one that hid it. Results: layer_results.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable, Sequence

import docker

from worker.contract.analysis import LargeFile
from worker.engine.client import engine_errors
from worker.images.ids import config_id
from worker.layers.archive import read_archive
from worker.layers.layout import find_layout
from worker.layers.results import DuplicateGroup, ImageAnalysis, LayerAnalysis
from worker.layers.stack import MAX_CHANGES_PER_LAYER, FinalFile, LayerStack

LARGEST_FILES = 20
MAX_DUPLICATE_GROUPS = 100  # stored largest first; duplicate_bytes always sums every group

Base = int | Sequence[str] | None  # a layer count, the base image's DiffIDs, or no base


def analyse_image(
    client: docker.DockerClient,
    image_id: str,
    *,
    base: Base = None,
    platform: str | None = None,
    largest: int = LARGEST_FILES,
) -> ImageAnalysis:
    """Analyse an image on the engine by streaming `docker save` of it once; nothing touches the disk.

    `base` is the FROM image's layer count or its DiffIDs (RootFS.Layers of its inspect);
    DiffIDs are checked to be a prefix of this image's. Raises EngineUnavailable when the
    engine goes away mid-stream and ArchiveError for an archive it cannot read.
    """
    with engine_errors():
        return analyse_archive(
            client.api.get_image(image_id, chunk_size=None),
            image_id=image_id,
            base=base,
            platform=platform,
            largest=largest,
        )


def analyse_archive(
    chunks: Iterable[bytes],
    *,
    image_id: str = "",
    base: Base = None,
    platform: str | None = None,
    largest: int = LARGEST_FILES,
    cap: int = MAX_CHANGES_PER_LAYER,
) -> ImageAnalysis:
    """Analyse a save archive given as byte chunks: legacy or OCI layout, any blob compression."""
    archive = read_archive(chunks)
    layout = find_layout(archive, platform)
    base_layers, base_matched = _base_split(base, layout.diff_ids, len(layout.blobs))
    made_by = {step.layer: step for step in layout.history if step.layer is not None}
    stack = LayerStack()
    layers = []
    for index, name in enumerate(layout.blobs):
        blob = archive.blobs[name]
        changes = stack.apply(index, blob.reading.entries, cap)
        step = made_by.get(index)
        layers.append(
            LayerAnalysis(
                index=index,
                blob=name,
                diff_id=layout.diff_ids[index] if layout.diff_ids else "",
                compression=blob.compression,
                stored_bytes=blob.stored_bytes,
                tar_bytes=blob.reading.tar_bytes,
                content_bytes=changes.content_bytes,
                symlink_bytes=changes.symlink_bytes,
                files=changes.files,
                directories=changes.directories,
                base=index < base_layers,
                created_by=step.created_by if step else "",
                instruction=step.instruction if step else "",
                totals={change: (count, size) for change, (count, size) in changes.totals.items()},
                changes=changes.kept(),
                changes_truncated=changes.truncated,
            )
        )
    files = _one_name_per_inode(stack.final_files())
    duplicates = _duplicates(files)
    return ImageAnalysis(
        image_id=image_id or config_id(layout.config_name),
        layout=layout.layout,
        platform=layout.platform,
        layers=tuple(layers),
        history=layout.history,
        blobs_read=len(set(layout.blobs)),
        written_bytes=stack.written_bytes,
        final_bytes=sum(file.bytes for file in files),
        edges=tuple(stack.edges),
        base_layers=base_layers,
        base_matched=base_matched,
        final_files=len(files),
        largest_files=tuple(
            LargeFile(file.path, file.bytes, file.layer)
            for file in heapq.nlargest(largest, files, key=lambda file: (file.bytes, file.path))
        ),
        duplicates=tuple(duplicates[:MAX_DUPLICATE_GROUPS]),
        duplicate_bytes=sum(group.wasted for group in duplicates),
    )


def _base_split(base: Base, diff_ids: tuple[str, ...], layer_count: int) -> tuple[int, bool]:
    if base is None:
        return 0, False
    if isinstance(base, int):
        return min(base, layer_count), base <= layer_count
    base_ids = tuple(base)
    if diff_ids[: len(base_ids)] == base_ids:
        return len(base_ids), True
    return 0, False


def _one_name_per_inode(files: Iterable[FinalFile]) -> list[FinalFile]:
    """The final filesystem's file versions, each once, under its first name in path order."""
    chosen: dict[int, FinalFile] = {}
    for file in sorted(files, key=lambda file: file.path):
        chosen.setdefault(file.inode, file)
    return list(chosen.values())


def _duplicates(files: list[FinalFile]) -> list[DuplicateGroup]:
    """Equal content on k > 1 distinct inodes costs (k - 1) copies; hard links are one inode already."""
    by_content: dict[tuple[bytes, int], list[str]] = defaultdict(list)
    for file in files:
        if file.bytes:
            by_content[(file.digest, file.bytes)].append(file.path)
    groups = [
        DuplicateGroup(bytes=size, wasted=(len(paths) - 1) * size, paths=tuple(paths))
        for (_, size), paths in by_content.items()
        if len(paths) > 1
    ]
    return sorted(groups, key=lambda group: (-group.wasted, group.paths))
