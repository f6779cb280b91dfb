"""The layers step: which of an image's layers wrote a path, read back from the image's save stream.

A file that a later layer deletes is gone from the container's filesystem but not from the
image: the layer that wrote it still holds its bytes, and `docker save` (or a pull) hands them
to anyone. So "the secret is not in the image" is judged here on every layer, not on the
filesystem a container sees; `written` proves the reader can get a file back from a layer.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

import docker

from worker.engine.client import engine_errors
from worker.layers.archive import read_archive
from worker.layers.entries import HARDLINK, REGULAR, SYMLINK
from worker.layers.layout import find_layout
from worker.steps.action import StepAction, on_image
from worker.steps.context import RunContext, StepOutcome
from worker.steps.images import facts_of
from worker.steps.judges import Expectation, Observed, Verdict, evaluate, texts

if TYPE_CHECKING:
    from worker.scenario.model import Step

WRITTEN_KINDS = (REGULAR, HARDLINK, SYMLINK)


def layers_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    facts = facts_of(ctx, step.params["image"])
    paths = [*texts(step.expect.get("written", [])), *texts(step.expect.get("never_written", []))]
    writers = layers_writing(ctx.client, facts.id, paths)
    checks = tuple(evaluate(index, "layers", step.expect, {"writers": writers}, EXPECT))
    shown = "; ".join(f"{path}: {_layers_text(writers[path])}" for path in paths)
    return StepOutcome(checks, summary=f"{facts.layers} layers read", output=shown)


def layers_writing(
    client: docker.DockerClient, image_id: str, paths: Iterable[str]
) -> dict[str, tuple[int, ...]]:
    """Per path, the layers (counted from 1, oldest first) whose tar holds a file at that path."""
    with engine_errors():
        archive = read_archive(client.api.get_image(image_id, chunk_size=None))
    layout = find_layout(archive)
    wanted = {path: [] for path in paths}
    for number, blob in enumerate(layout.blobs, start=1):
        for entry in archive.blobs[blob].reading.entries:
            if entry.path in wanted and entry.kind in WRITTEN_KINDS:
                wanted[entry.path].append(number)
    return {path: tuple(layers) for path, layers in wanted.items()}


def _layers_text(layers: tuple[int, ...]) -> str:
    if not layers:
        return "in no layer"
    return f"written by layer {', '.join(map(str, layers))}"


def _written(must_be: bool):
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        writers = observed["writers"]
        return [
            Verdict(
                "written by a layer" if must_be else "in no layer",
                f"{path}: {_layers_text(writers.get(path, ()))}",
                bool(writers.get(path)) is must_be,
            )
            for path in texts(expected)
        ]

    return judge


EXPECT = {
    "written": Expectation("abs_paths", _written(True)),
    "never_written": Expectation("abs_paths", _written(False)),
}

ACTION = StepAction(
    name="layers",
    params={"image": "image"},
    required=frozenset({"image"}),
    expect=EXPECT,
    describe=on_image("layers"),
    handler=layers_step,
    shorthand="image",
)
