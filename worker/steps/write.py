"""The write step: put a file with the given content into a declared volume."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from worker.steps.action import StepAction
from worker.steps.context import RunContext, StepOutcome
from worker.steps.volumes import put_files, volume

if TYPE_CHECKING:
    from worker.scenario.model import Step


def write_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    content = step.params["content"].encode()
    put_files(ctx, volume(ctx, step.params["volume"]), {step.params["path"]: (content, False)})
    return StepOutcome(summary=f"wrote {len(content)} bytes to {step.params['volume']}:{step.params['path']}")


def describe(params: Mapping) -> str:
    return f"write {params['volume']}:{params['path']}"


ACTION = StepAction(
    name="write",
    params={"volume": "volume", "path": "text", "content": "text"},
    required=frozenset({"volume", "path", "content"}),
    expect={},
    describe=describe,
    handler=write_step,
)
