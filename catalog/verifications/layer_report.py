"""An image's layer analysis for the page: per-layer bytes and waste, reasons, lint next to its bytes."""

from dataclasses import dataclass

from worker.contract.analysis import AnalysisSummary, LayerSummary
from worker.contract.quantities import format_size
from worker.contract.report import VerificationReport

REASONS = {
    "deleted": "deleted by a later layer",
    "overwritten": "overwritten by a later layer",
    "metadata-copy": "copied again to change its mode or owner",
    "hardlink-copy": "copied again to make a hard link",
    "opaque-replaced": "hidden when a later layer replaced its folder",
}
CHANGE_LABELS = {
    "added": "added",
    "modified": "modified",
    "metadata-copy": "re-stored (mode or owner)",
    "hardlink-copy": "re-stored (hard link)",
    "rewritten": "written again, unchanged",
    "removed": "removed",
}


@dataclass(frozen=True)
class LayerRow:
    index: int
    instruction: str
    content_text: str
    reclaimable: int
    reclaimable_text: str
    files: int
    base: bool
    changes: tuple[tuple[str, int, str], ...]  # (label, count, bytes text), in CHANGE_LABELS order


@dataclass(frozen=True)
class WasteRow:
    path: str
    bytes_text: str
    reason: str
    written_by: int
    hidden_by: int


@dataclass(frozen=True)
class LintRow:
    code: str
    level: str
    line: int
    message: str
    wasted_text: str  # "" when the finding costs no bytes the analysis can see
    path: str = ""  # the Dockerfile it is about, as the example lists it
    anchor: str = ""  # the id of its line in that listing

    @property
    def rule_url(self) -> str:
        if self.code.startswith("DL"):
            return f"https://github.com/hadolint/hadolint/wiki/{self.code}"
        return f"https://www.shellcheck.net/wiki/{self.code}" if self.code.startswith("SC") else ""


@dataclass(frozen=True)
class LayerReport:
    reclaimable_text: str
    reclaimable: int
    efficiency_text: str
    own_reclaimable_text: str
    duplicate_text: str
    layers: tuple[LayerRow, ...]
    waste: tuple[WasteRow, ...]
    lint: tuple[LintRow, ...]
    lint_error: str
    largest: tuple[tuple[str, str], ...]
    error: str


def layer_report(summary: AnalysisSummary | None) -> LayerReport | None:
    """The page's view of one image's analysis; None when the image was not analysed."""
    if summary is None:
        return None
    if summary.error:
        return LayerReport("", 0, "", "", "", (), (), (), "", (), summary.error)
    lint = summary.lint
    return LayerReport(
        reclaimable_text=format_size(summary.reclaimable_bytes),
        reclaimable=summary.reclaimable_bytes,
        efficiency_text=f"{summary.efficiency * 100:.1f} %",
        own_reclaimable_text=format_size(summary.own_reclaimable_bytes),
        duplicate_text=format_size(summary.duplicate_bytes),
        layers=tuple(layer_row(layer) for layer in summary.layers),
        waste=tuple(
            WasteRow(
                path=edge.path,
                bytes_text=format_size(edge.bytes),
                reason=REASONS.get(edge.reason, edge.reason),  # a reason newer than the table reads as is
                written_by=edge.written_by,
                hidden_by=edge.hidden_by,
            )
            for edge in summary.edges
        ),
        lint=tuple(
            LintRow(
                code=finding.code,
                level=finding.level,
                line=finding.line,
                message=finding.message,
                wasted_text=format_size(finding.wasted_bytes) if finding.wasted_bytes else "",
            )
            for finding in (lint.findings if lint else ())
        ),
        # A summary without a lint report says nothing of lint; only a lint that could not run is shown.
        lint_error="" if lint is None or lint.available else lint.error or "lint did not run",
        largest=tuple((large.path, format_size(large.bytes)) for large in summary.largest_files),
        error="",
    )


def layer_row(layer: LayerSummary) -> LayerRow:
    return LayerRow(
        index=layer.index,
        instruction=layer.instruction or layer.created_by,
        content_text=format_size(layer.content_bytes),
        reclaimable=layer.reclaimable_bytes,
        reclaimable_text=format_size(layer.reclaimable_bytes),
        files=layer.files,
        base=layer.base,
        changes=tuple(
            (label, layer.totals[kind].count, format_size(layer.totals[kind].bytes))
            for kind, label in CHANGE_LABELS.items()
            if kind in layer.totals and layer.totals[kind].count
        ),
    )


@dataclass(frozen=True)
class BuildRow:
    """One build of the scenario (the first or a rebuild) and which of its steps the cache served."""

    image: str
    ok: bool
    duration_text: str
    steps: tuple[tuple[int, str, bool], ...]  # (number, instruction, from the cache)

    @property
    def cached(self) -> int:
        return sum(cached for _, _, cached in self.steps)


def build_rows(report: VerificationReport) -> tuple[BuildRow, ...]:
    return tuple(
        BuildRow(
            image=build.image_name,
            ok=build.ok,
            duration_text=f"{build.duration:.1f} s",
            steps=tuple((step.number, step.instruction, step.cached) for step in build.steps),
        )
        for build in report.builds
    )
