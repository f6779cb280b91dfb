"""The layer analysis of an image: the summary a result keeps, with lint, and the full analysis.

The summary is bounded by the layer count and travels in the result. The full analysis (every
layer's change list, ImageAnalysis.to_dict() in worker/layers/results.py) is stored apart
(ImageLayers) and read by the layer file pages.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChangeTotal:
    count: int
    bytes: int


@dataclass(frozen=True)
class LayerFigures:
    """What the summary and the full analysis both say of a layer."""

    index: int
    blob: str  # the archive member it was read from
    diff_id: str
    compression: str  # "none", "gzip" or "zstd"
    stored_bytes: int
    tar_bytes: int
    content_bytes: int
    symlink_bytes: int
    files: int
    directories: int
    base: bool  # one of the FROM image's layers
    created_by: str
    instruction: str
    totals: dict[str, ChangeTotal]  # change kind (added, removed...) -> every change counted
    changes_truncated: bool
    changes_cap: int


@dataclass(frozen=True)
class LayerSummary(LayerFigures):
    reclaimable_bytes: int = 0  # what this layer wrote that a later layer hid


@dataclass(frozen=True)
class Edge:
    """One file version that did not survive: who wrote it, who hid it, and why."""

    path: str
    bytes: int
    written_by: int
    hidden_by: int
    reason: str


@dataclass(frozen=True)
class EdgeTotal:
    written_by: int
    hidden_by: int
    reason: str
    files: int
    bytes: int


@dataclass(frozen=True)
class LargeFile:
    path: str
    bytes: int
    layer: int  # the layer that wrote this version


@dataclass(frozen=True)
class DuplicateGroup:
    bytes: int  # each copy's size
    wasted: int  # (copies - 1) * bytes
    paths: tuple[str, ...]  # the first names only
    copies: int


@dataclass(frozen=True)
class LintFinding:
    code: str  # DL3025, SC2086...
    level: str  # error, warning, info, style
    line: int
    message: str
    wasted_bytes: int | None = None  # bytes the finding's layer left under the rule's paths, when known


@dataclass(frozen=True)
class LintReport:
    available: bool
    error: str = ""
    findings: tuple[LintFinding, ...] = ()


@dataclass(frozen=True)
class AnalysisSummary:
    """Everything defaults, because an image whose archive could not be read has only `error`."""

    error: str = ""
    version: int = 0
    image_id: str = ""
    layout: str = ""  # "docker-save" or "oci"
    platform: str = ""
    blobs_read: int = 0
    written_bytes: int = 0
    final_bytes: int = 0
    reclaimable_bytes: int = 0
    efficiency: float = 0.0
    base_layers: int = 0
    base_matched: bool = False
    own_content_bytes: int = 0
    own_reclaimable_bytes: int = 0
    final_files: int = 0
    duplicate_bytes: int = 0
    layers: tuple[LayerSummary, ...] = ()
    edges: tuple[Edge, ...] = ()  # the largest only
    edges_truncated: bool = False
    edge_totals: tuple[EdgeTotal, ...] = ()  # every edge counted
    largest_files: tuple[LargeFile, ...] = ()
    duplicates: tuple[DuplicateGroup, ...] = ()
    lint: LintReport | None = None


@dataclass(frozen=True)
class FileChange:
    """One path a layer changed (worker/layer_stack.Change as stored)."""

    change: str  # added, modified, metadata-copy, hardlink-copy, rewritten, removed
    path: str
    type: str  # file, dir, symlink, hardlink, other
    bytes: int  # counted on one name of a hard-linked group; 0 for the others
    link: str = ""


@dataclass(frozen=True)
class LayerDetail(LayerFigures):
    changes: tuple[FileChange, ...]  # at most changes_cap, the largest, sorted by path


@dataclass(frozen=True)
class ImageLayerDetails:
    """The full analysis of one image as ImageLayers keeps it.

    No field defaults: the stored shape has not changed since analyses were first kept apart,
    and only an image whose archive was read is stored, so a missing field is a fault. Its
    `history` is left unread: lint reads it before the analysis is stored, the site never does,
    and its type is the engine's own (worker/layer_layout.HistoryStep).
    """

    version: int
    image_id: str
    layout: str
    platform: str
    blobs_read: int
    written_bytes: int
    final_bytes: int
    reclaimable_bytes: int
    efficiency: float
    base_layers: int
    base_matched: bool
    own_content_bytes: int
    own_reclaimable_bytes: int
    final_files: int
    duplicate_bytes: int
    layers: tuple[LayerDetail, ...]
    edges: tuple[Edge, ...]  # the largest MAX_EDGES
    edges_truncated: bool
    edge_totals: tuple[EdgeTotal, ...]
    largest_files: tuple[LargeFile, ...]
    duplicates: tuple[DuplicateGroup, ...]
