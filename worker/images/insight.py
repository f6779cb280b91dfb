"""Why an image is the size it is: its layer analysis and its Dockerfile's lint findings, joined.

The full analysis (every layer's change list) is stored apart, for the page's lazily opened
file trees; the summary travels in the verification result. A size finding of hadolint gets
the bytes its instruction's layer wrote under the paths the rule is about.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import docker

from worker.images.build_context import parse_dockerfile
from worker.images.lint import LintUnavailable, lint_dockerfile, with_wasted_bytes
from worker.layers.analysis import analyse_image
from worker.layers.archive import ArchiveError

SUMMARY_EDGES = 20  # the largest reclaimable items named on the page; totals count them all
WRITTEN = ("added", "modified", "metadata-copy", "hardlink-copy", "rewritten")
PARSE_ERROR = "DL1000"  # hadolint could not parse the file


def stage_instructions(dockerfile: str, target: str | None) -> list[tuple[int, str]]:
    """(line, instruction text) of the stage the image was built from, FROM excluded."""
    instructions = parse_dockerfile(dockerfile).instructions
    stages: list[list] = []
    names: list[str] = []
    for instruction in instructions:
        if instruction.keyword == "FROM":
            words = instruction.args.split()
            names.append(words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else "")
            stages.append([])
        elif stages:
            stages[-1].append((instruction.line, f"{instruction.keyword} {instruction.args}"))
    if not stages:
        return []
    chosen = names.index(target.lower()) if target and target.lower() in names else len(stages) - 1
    return stages[chosen]


def layer_of_lines(
    history: Sequence[Mapping], instructions: Sequence[tuple[int, str]], trailing: int
) -> dict[int, int | None]:
    """Dockerfile line -> the layer its instruction made (None: it made no layer).

    Counted from the end of the history: the classic builder appends one entry per build
    label (`trailing`) after the stage's own instructions, and ONBUILD triggers or an earlier
    stage put theirs before them, so only the end is a fixed point.
    """
    first = len(history) - trailing - len(instructions)
    if first < 0:
        return {}
    return {line: history[first + position].get("layer") for position, (line, _) in enumerate(instructions)}


def bytes_written(layer: Mapping, prefixes: Sequence[str]) -> int:
    return sum(
        int(change["bytes"])
        for change in layer.get("changes") or ()
        if change["change"] in WRITTEN and any(str(change["path"]).startswith(p) for p in prefixes)
    )


def lint_with_bytes(dockerfile: str, target: str | None, analysis: Mapping, trailing: int) -> dict:
    try:
        findings = lint_dockerfile(dockerfile)
    except LintUnavailable as error:
        return {"available": False, "error": str(error), "findings": []}
    unparsed = next((finding for finding in findings if finding.code == PARSE_ERROR), None)
    if unparsed:
        # The engine built this file, so the fault is hadolint's parser (it rejects a HEALTHCHECK
        # --interval of 500ms, for one); and after a parse error it lints nothing else.
        return {
            "available": False,
            "error": f"hadolint cannot parse line {unparsed.line} ({unparsed.message}), which Docker "
            "accepts; so it linted nothing in this file",
            "findings": [],
        }
    layers = analysis.get("layers") or []
    lines = layer_of_lines(analysis.get("history") or [], stage_instructions(dockerfile, target), trailing)

    def bytes_under(line: int, prefixes: Sequence[str]) -> int | None:
        layer = lines.get(line)
        return None if layer is None or layer >= len(layers) else bytes_written(layers[layer], prefixes)

    attached = with_wasted_bytes(findings, bytes_under)
    return {"available": True, "error": "", "findings": [finding.to_dict() for finding in attached]}


def summarise(analysis: Mapping) -> dict:
    """What the result keeps: totals, per-layer figures and the largest reclaimable items."""
    reclaimed_by_layer: dict[int, int] = {}
    for total in analysis.get("edge_totals") or ():
        layer = int(total["written_by"])
        reclaimed_by_layer[layer] = reclaimed_by_layer.get(layer, 0) + int(total["bytes"])
    keep = ("changes",)
    return {
        **{key: value for key, value in analysis.items() if key not in ("layers", "edges", "history")},
        "edges": list(analysis.get("edges") or ())[:SUMMARY_EDGES],
        "layers": [
            {
                **{key: value for key, value in layer.items() if key not in keep},
                "reclaimable_bytes": reclaimed_by_layer.get(int(layer["index"]), 0),
            }
            for layer in analysis.get("layers") or ()
        ],
    }


def image_insight(
    client: docker.DockerClient,
    image_id: str,
    *,
    dockerfile: str,
    target: str | None,
    base_id: str,
    trailing_labels: int,
) -> tuple[dict, dict]:
    """(summary with lint, full analysis) of one built image; raises EngineUnavailable."""
    base = None
    if base_id:
        try:
            base = client.images.get(base_id).attrs["RootFS"]["Layers"]
        except docker.errors.NotFound:
            base = None
    try:
        full = analyse_image(client, image_id, base=base).to_dict()
    except ArchiveError as error:
        return {"error": f"could not read the image archive: {error}"}, {}
    summary = summarise(full)
    summary["lint"] = lint_with_bytes(dockerfile, target, full, trailing_labels)
    return summary, full
