"""An image's layer analysis for the page: per-layer bytes and waste, reasons, lint next to its bytes."""

from collections.abc import Mapping
from dataclasses import dataclass

from worker.quantities import format_size

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


def layer_report(summary: Mapping | None) -> LayerReport | None:
    if not summary:
        return None
    if summary.get("error"):
        return LayerReport("", 0, "", "", "", (), (), (), "", (), str(summary["error"]))
    lint = summary.get("lint") or {}
    return LayerReport(
        reclaimable_text=format_size(int(summary.get("reclaimable_bytes") or 0)),
        reclaimable=int(summary.get("reclaimable_bytes") or 0),
        efficiency_text=f"{float(summary.get('efficiency') or 0) * 100:.1f} %",
        own_reclaimable_text=format_size(int(summary.get("own_reclaimable_bytes") or 0)),
        duplicate_text=format_size(int(summary.get("duplicate_bytes") or 0)),
        layers=tuple(layer_row(layer) for layer in summary.get("layers") or ()),
        waste=tuple(
            WasteRow(
                path=str(edge["path"]),
                bytes_text=format_size(int(edge["bytes"])),
                reason=REASONS.get(str(edge["reason"]), str(edge["reason"])),
                written_by=int(edge["written_by"]),
                hidden_by=int(edge["hidden_by"]),
            )
            for edge in summary.get("edges") or ()
        ),
        lint=tuple(
            LintRow(
                code=str(finding["code"]),
                level=str(finding["level"]),
                line=int(finding["line"]),
                message=str(finding["message"]),
                wasted_text=format_size(finding["wasted_bytes"]) if finding.get("wasted_bytes") else "",
            )
            for finding in lint.get("findings") or ()
        ),
        lint_error="" if lint.get("available", True) else str(lint.get("error") or "lint did not run"),
        largest=tuple(
            (str(item["path"]), format_size(int(item["bytes"])))
            for item in summary.get("largest_files") or ()
        ),
        error="",
    )


def layer_row(layer: Mapping) -> LayerRow:
    totals = layer.get("totals") or {}
    changes = tuple(
        (label, int(totals[kind]["count"]), format_size(int(totals[kind]["bytes"])))
        for kind, label in CHANGE_LABELS.items()
        if kind in totals and totals[kind]["count"]
    )
    return LayerRow(
        index=int(layer["index"]),
        instruction=str(layer.get("instruction") or layer.get("created_by") or ""),
        content_text=format_size(int(layer.get("content_bytes") or 0)),
        reclaimable=int(layer.get("reclaimable_bytes") or 0),
        reclaimable_text=format_size(int(layer.get("reclaimable_bytes") or 0)),
        files=int(layer.get("files") or 0),
        base=bool(layer.get("base")),
        changes=changes,
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


def build_rows(result: Mapping) -> tuple[BuildRow, ...]:
    return tuple(
        BuildRow(
            image=str(build.get("image_name") or ""),
            ok=bool(build.get("ok")),
            duration_text=f"{float(build.get('duration') or 0):.1f} s",
            steps=tuple(
                (int(step.get("number") or 0), str(step.get("instruction") or ""), bool(step.get("cached")))
                for step in build.get("steps") or ()
            ),
        )
        for build in result.get("builds") or ()
    )
