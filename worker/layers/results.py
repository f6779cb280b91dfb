"""What a layer analysis reports: frozen dataclasses, their JSON form, and a layer's file tree on demand.

Every byte figure is a count of regular-file content (hard links once) unless its name
says otherwise: `tar_bytes` is the uncompressed layer tar, `stored_bytes` the blob as
the archive stored it, `symlink_bytes` the symlink target lengths the engine adds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from worker.contract.analysis import LargeFile
from worker.layers.entries import normalise_path
from worker.layers.layout import HistoryStep
from worker.layers.stack import MAX_CHANGES_PER_LAYER, Change, Edge

FORMAT_VERSION = 1
MAX_EDGES = 2_000  # stored largest first; edge_totals always sums every edge
MAX_DUPLICATE_PATHS = 20  # names stored per duplicate group


@dataclass(frozen=True)
class LayerAnalysis:
    index: int
    blob: str  # the archive member it was read from
    diff_id: str
    compression: str  # "none", "gzip" or "zstd"
    stored_bytes: int
    tar_bytes: int
    content_bytes: int
    symlink_bytes: int
    files: int  # regular files written, hard links once
    directories: int
    base: bool  # one of the FROM image's layers
    created_by: str
    instruction: str
    totals: Mapping[str, tuple[int, int]]  # change -> (count, bytes), every change counted
    changes: tuple[Change, ...]  # at most MAX_CHANGES_PER_LAYER, the largest, sorted by path
    changes_truncated: bool


@dataclass(frozen=True)
class DuplicateGroup:
    """Files in the final filesystem with equal content on different inodes."""

    bytes: int  # each copy's size
    wasted: int  # (copies - 1) * bytes
    paths: tuple[str, ...]


@dataclass(frozen=True)
class ImageAnalysis:
    image_id: str
    layout: str  # "docker-save" or "oci"
    platform: str
    layers: tuple[LayerAnalysis, ...]
    history: tuple[HistoryStep, ...]
    blobs_read: int  # distinct layer blobs analysed: a blob named twice is read once
    written_bytes: int  # every file version any layer wrote
    final_bytes: int  # what the final filesystem shows
    edges: tuple[Edge, ...]  # every version that did not survive, with who hid it and why
    base_layers: int
    base_matched: bool  # the given base DiffIDs are a prefix of this image's
    final_files: int  # distinct regular files (inodes) in the final filesystem
    largest_files: tuple[LargeFile, ...]
    duplicates: tuple[DuplicateGroup, ...]
    duplicate_bytes: int

    @property
    def reclaimable_bytes(self) -> int:
        """Bytes a squash would drop: every version written, less what stays visible."""
        return self.written_bytes - self.final_bytes

    @property
    def efficiency(self) -> float:
        return self.final_bytes / self.written_bytes if self.written_bytes else 1.0

    @property
    def own_reclaimable_bytes(self) -> int:
        """Waste the image's own layers caused, base files they hid included; the base's own churn is not."""
        return sum(edge.bytes for edge in self.edges if edge.hidden_by >= self.base_layers)

    @property
    def own_content_bytes(self) -> int:
        return sum(layer.content_bytes for layer in self.layers if not layer.base)

    def edge_totals(self) -> list[dict[str, Any]]:
        """Edges summed per (written_by, hidden_by, reason): "layer 2 -> layer 5: N bytes, deleted"."""
        count: Counter = Counter()
        size: Counter = Counter()
        for edge in self.edges:
            key = (edge.written_by, edge.hidden_by, edge.reason)
            count[key] += 1
            size[key] += edge.bytes
        return [
            {
                "written_by": key[0],
                "hidden_by": key[1],
                "reason": key[2],
                "files": count[key],
                "bytes": size[key],
            }
            for key in sorted(size, key=lambda key: (-size[key], key))
        ]

    def tree(self, layer: int, under: str = "/") -> list[dict[str, Any]]:
        return change_tree(self.layers[layer].changes, under)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary whose size is bounded by the layer count, not by the file count."""
        edges = sorted(self.edges, key=lambda edge: (-edge.bytes, edge.path))[:MAX_EDGES]
        return {
            "version": FORMAT_VERSION,
            "image_id": self.image_id,
            "layout": self.layout,
            "platform": self.platform,
            "blobs_read": self.blobs_read,
            "written_bytes": self.written_bytes,
            "final_bytes": self.final_bytes,
            "reclaimable_bytes": self.reclaimable_bytes,
            "efficiency": self.efficiency,
            "base_layers": self.base_layers,
            "base_matched": self.base_matched,
            "own_content_bytes": self.own_content_bytes,
            "own_reclaimable_bytes": self.own_reclaimable_bytes,
            "final_files": self.final_files,
            "duplicate_bytes": self.duplicate_bytes,
            "layers": [_layer_dict(layer) for layer in self.layers],
            "history": [vars(step) for step in self.history],
            "edges": [edge._asdict() for edge in edges],
            "edges_truncated": len(self.edges) > len(edges),
            "edge_totals": self.edge_totals(),
            "largest_files": [vars(large) for large in self.largest_files],
            "duplicates": [
                {**vars(group), "paths": list(group.paths[:MAX_DUPLICATE_PATHS]), "copies": len(group.paths)}
                for group in self.duplicates
            ],
        }


def _layer_dict(layer: LayerAnalysis) -> dict[str, Any]:
    data = {key: value for key, value in vars(layer).items() if key not in ("totals", "changes")}
    data["totals"] = {
        change: {"count": count, "bytes": size} for change, (count, size) in layer.totals.items()
    }
    data["changes"] = [change._asdict() for change in layer.changes]
    data["changes_cap"] = MAX_CHANGES_PER_LAYER
    return data


def change_tree(changes: Iterable[Change | Mapping[str, Any]], under: str = "/") -> list[dict[str, Any]]:
    """The direct children of `under` among one layer's changes, each with its subtree's totals.

    Works on a LayerAnalysis's changes or on the stored dicts, so a page can open one
    directory at a time from the JSON. Only the stored (capped) changes are seen.
    """
    root = normalise_path(under) or "/"
    prefix = root.rstrip("/") + "/"
    children: dict[str, dict[str, Any]] = {}
    below: set[str] = set()
    for item in changes:
        change = item._asdict() if isinstance(item, Change) else item
        path = str(change["path"])
        if not path.startswith(prefix):
            continue
        name, _, deeper = path[len(prefix) :].partition("/")
        child = children.setdefault(
            name,
            {"name": name, "path": prefix + name, "type": "dir", "change": "", "bytes": 0, "changes": {}},
        )
        child["bytes"] += int(change["bytes"])
        child["changes"][change["change"]] = child["changes"].get(change["change"], 0) + 1
        if deeper:
            below.add(name)
        else:
            child["change"], child["type"] = change["change"], change["type"]
    for name in below:
        children[name]["type"] = "dir"  # whatever it was in this layer, it now has entries under it
    return sorted(children.values(), key=lambda child: (-child["bytes"], child["name"]))
