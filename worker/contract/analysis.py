"""The layer analysis summary a verification keeps per image, with its Dockerfile's lint findings.

The full analysis (every layer's change list) is stored apart (ImageLayers) and read by the
layer file pages; this summary is bounded by the layer count and travels in the result.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ChangeTotal:
    count: int
    bytes: int


@dataclass(frozen=True)
class LayerSummary:
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
