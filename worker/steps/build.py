"""The build and rebuild steps: build an image (after touching a file, for rebuild) and judge its build."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from worker.steps.action import StepAction, on_image
from worker.steps.context import RunContext, StepOutcome
from worker.steps.images import build_now, failure_detail
from worker.steps.judges import (
    DURATION_MAX,
    OUTPUT,
    Expectation,
    Judge,
    Observed,
    Verdict,
    evaluate,
    excerpt,
    texts,
)

if TYPE_CHECKING:
    from worker.scenario.model import Step


def build_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    if step.action == "rebuild":
        ctx.touch(step.params["touch"])
    result = build_now(ctx, step.params["image"])
    observed = {"build": result, "duration": result.duration, "output": result.log}
    checks = tuple(evaluate(index, step.action, step.expect, observed, EXPECT))
    reason = detail = ""
    # An example may show a build that fails; running out of time or output is never the point.
    expected_failure = step.expect.get("succeeds") is False and result.reason in (
        "BUILD_FAILED",
        "INVALID_DOCKERFILE",
    )
    if not result.ok and not expected_failure:
        reason, detail = result.reason, failure_detail(result)
    cached = sum(s.cached for s in result.steps)
    summary = f"{'built' if result.ok else 'failed'}, {cached}/{len(result.steps)} steps from cache"
    return StepOutcome(checks, reason, detail, summary)


def build_succeeds(expected: Any, observed: Observed) -> list[Verdict]:
    build = observed["build"]
    seen = "built" if build.ok else f"failed: {build.error}"
    return [Verdict("builds" if expected else "fails to build", seen, build.ok == expected)]


def cache(hit: bool) -> Judge:
    """Every build step whose instruction contains the text came from the cache (or none did)."""

    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        verdicts = []
        for text in texts(expected):
            steps = [s for s in observed["build"].steps if text.lower() in s.instruction.lower()]
            shown = "; ".join(
                f"step {s.number} {s.instruction[:80]}: {'from cache' if s.cached else 'rebuilt'}"
                for s in steps
            )
            passed = bool(steps) and all(s.cached == hit for s in steps)
            wanted = f"{'from cache' if hit else 'rebuilt'}: {excerpt(text)}"
            verdicts.append(Verdict(wanted, shown or "no build step matches", passed))
        return verdicts

    return judge


def describe_rebuild(params: Mapping) -> str:
    return f"rebuild {params['image']} after touching {params['touch']}"


EXPECT = {
    "succeeds": Expectation("boolean", build_succeeds),
    "cache_hit": Expectation("texts", cache(hit=True)),
    "cache_miss": Expectation("texts", cache(hit=False)),
    "duration_max": DURATION_MAX,
    **OUTPUT,
}
BUILD = StepAction(
    name="build",
    params={"image": "image"},
    required=frozenset({"image"}),
    expect=EXPECT,
    describe=on_image("build"),
    handler=build_step,
    shorthand="image",
)
REBUILD = StepAction(
    name="rebuild",
    params={"image": "image", "touch": "file"},
    required=frozenset({"image", "touch"}),
    expect=EXPECT,
    describe=describe_rebuild,
    handler=build_step,
)
