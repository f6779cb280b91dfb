"""The image step: an image's facts (size, layers, config, files) judged against the expectations."""

from __future__ import annotations

import shlex
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from worker.contract.quantities import format_size
from worker.engine.files import created_container, paths_present
from worker.steps.action import StepAction, on_image
from worker.steps.context import RunContext, StepOutcome
from worker.steps.images import facts_of
from worker.steps.judges import Expectation, Judge, Observed, Verdict, evaluate, excerpt, size, texts

if TYPE_CHECKING:
    from worker.scenario.model import Step


def image_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    facts = facts_of(ctx, step.params["image"])
    paths = [*step.expect.get("files_present", []), *step.expect.get("files_absent", [])]
    observed = {"image": facts, "files": files_present(ctx, facts.id, paths) if paths else {}}
    checks = tuple(evaluate(index, "image", step.expect, observed, EXPECT))
    return StepOutcome(checks, summary=f"{format_size(facts.size)}, {facts.layers} layers")


def files_present(ctx: RunContext, image: str, paths: list[str]) -> dict[str, bool]:
    """Which paths exist in the image, asked of a created, never started container (no shell needed)."""
    with created_container(ctx.client, image, ctx.labels, ctx.helper_name("files")) as container:
        return paths_present(ctx.client, container, paths)


def _facts(observed: Observed, key: str = "image") -> Any:
    return observed[key]


def image_bound(attribute: str, at_most: bool, show: Callable[[Any], str]) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        value = getattr(_facts(observed), attribute)
        passed = value <= expected if at_most else value >= expected
        return [Verdict(f"{'<=' if at_most else '>='} {show(expected)}", show(value), passed)]

    return judge


def image_layers(expected: Any, observed: Observed) -> list[Verdict]:
    layers = _facts(observed).layers
    return [Verdict(f"= {expected} layers", f"{layers} layers", layers == expected)]


def image_labels(expected: Any, observed: Observed) -> list[Verdict]:
    labels = _facts(observed).labels
    wrong = {k: labels.get(k) for k, v in expected.items() if labels.get(k) != v}
    shown = ", ".join(f"{k}={labels.get(k, '(missing)')}" for k in expected)
    return [Verdict(", ".join(f"{k}={v}" for k, v in expected.items()), shown, not wrong)]


def image_subset(attribute: str) -> Judge:
    """The listed ports or volumes are all declared (the image may declare more, e.g. from its base)."""

    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        values = getattr(_facts(observed), attribute)
        passed = set(expected) <= set(values)
        return [Verdict("includes " + ", ".join(expected), ", ".join(values) or "none", passed)]

    return judge


def image_user(expected: Any, observed: Observed) -> list[Verdict]:
    user = _facts(observed).user
    # No USER means root, so "root" and "0" describe an image that names no user.
    passed = user == expected or (not user and expected in ("root", "0", "0:0"))
    return [Verdict(f"= {expected}", user or '"" (root)', passed)]


def image_command(attribute: str) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        value = getattr(_facts(observed), attribute)
        shown = "none" if value is None else str(list(value))
        return [Verdict(f"= {expected}", shown, _same_command(expected, value))]

    return judge


def _same_command(expected: str | list[str], value: tuple[str, ...] | None) -> bool:
    """A list must match exactly; text matches the argv it splits into, or the shell form of itself."""
    if value is None:
        return False
    actual = list(value)
    if isinstance(expected, list):
        return expected == actual
    try:
        split = shlex.split(expected)
    except ValueError:
        split = None
    return actual in (split, ["/bin/sh", "-c", expected]) or " ".join(actual) == expected


def image_files(present: bool) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        files = observed.get("files") or {}
        verdicts = []
        for path in texts(expected):
            seen = files.get(path)
            shown = "unknown" if seen is None else ("present" if seen else "absent")
            verdicts.append(Verdict("present" if present else "absent", f"{path}: {shown}", seen is present))
        return verdicts

    return judge


def image_onbuild(expected: Any, observed: Observed) -> list[Verdict]:
    triggers = _facts(observed).onbuild
    return [
        Verdict(f"an ONBUILD trigger contains {excerpt(text)}", "; ".join(triggers) or "no triggers",
                any(text in trigger for trigger in triggers))
        for text in texts(expected)
    ]  # fmt: skip


def image_healthcheck(expected: Any, observed: Observed) -> list[Verdict]:
    test = _facts(observed).healthcheck
    shown = " ".join(test) if test else "none"
    return [
        Verdict(
            "has a HEALTHCHECK" if expected else "has no HEALTHCHECK", shown, (test is not None) == expected
        )
    ]


EXPECT = {
    "size_max": Expectation("size", image_bound("size", at_most=True, show=size)),
    "size_min": Expectation("size", image_bound("size", at_most=False, show=size)),
    "layers": Expectation("integer", image_layers),
    "layers_max": Expectation("integer", image_bound("layers", at_most=True, show=lambda n: f"{n} layers")),
    "layers_min": Expectation("integer", image_bound("layers", at_most=False, show=lambda n: f"{n} layers")),
    "labels": Expectation("mapping", image_labels),
    "exposed_ports": Expectation("ports", image_subset("exposed_ports")),
    "volumes": Expectation("abs_paths", image_subset("volumes")),
    "user": Expectation("text", image_user),
    "entrypoint": Expectation("command", image_command("entrypoint")),
    "cmd": Expectation("command", image_command("cmd")),
    "files_present": Expectation("abs_paths", image_files(present=True)),
    "files_absent": Expectation("abs_paths", image_files(present=False)),
    "onbuild": Expectation("texts", image_onbuild),
    "healthcheck": Expectation("boolean", image_healthcheck),
}
ACTION = StepAction(
    name="image",
    params={"image": "image"},
    required=frozenset({"image"}),
    expect=EXPECT,
    describe=on_image("image"),
    handler=image_step,
    shorthand="image",
)
