"""A run's images: built when a step first needs one, from the run's copies of the bases; their facts."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

from worker.contract.results import BuildResult, ImageFacts
from worker.images.build_cgroup import BuildUnconfined, confining_cgroup
from worker.images.build_context import Dockerfile, context_tar, expand, labelled_build, parse_dockerfile
from worker.images.builder import build_image
from worker.images.facts import collect_image_facts
from worker.images.ids import short_id
from worker.steps.context import RunContext, StepFailure

if TYPE_CHECKING:
    from worker.scenario.model import ImageSpec

BUILD_SECONDS = 600  # a build's own deadline; the scenario's timeout usually ends it sooner


def spec_of(ctx: RunContext, name: str) -> ImageSpec:
    return next(spec for spec in ctx.scenario.images if spec.name == name)


def dockerfile_of(ctx: RunContext, spec: ImageSpec) -> Dockerfile:
    return parse_dockerfile(ctx.files[spec.dockerfile][0].decode("utf-8", errors="replace"))


def build_now(ctx: RunContext, name: str) -> BuildResult:
    """Build an image from the current files and remember the result (the latest build wins)."""
    spec = spec_of(ctx, name)
    ctx.count("builds", ctx.policy.builds_max)
    parsed = dockerfile_of(ctx, spec)
    refs = parsed.external_refs(spec.build_args)
    for ref in refs:
        if not ctx.has_image(ref):
            # Without a local base the builder would try a registry; the worker never pulls.
            raise StepFailure("INFRA", f"base image {ref} (image {name}) is not on this engine")
    if ctx.policy.labelled_scratch and _uses_scratch(parsed, spec.build_args):
        refs.append("scratch")  # so that a stage FROM scratch is labelled too (images/scratch.py)
    # Built FROM the run's private copies, so the first build is cold whatever the engine built before.
    copies = {ref: ctx.base_copy(ref) for ref in refs}
    ctx.emit(f"build {name} from {spec.dockerfile}")
    files, dockerfile = labelled_build(
        ctx.files, spec.dockerfile, spec.target, ctx.image_labels, copies, spec.build_args
    )
    try:
        with _confined(ctx, parsed) as cgroup_parent:
            result = build_image(
                ctx.client,
                image_name=name,
                context=context_tar(files),
                dockerfile=dockerfile,
                tag=f"{ctx.repository}:{name}",
                labels={},
                deadline=ctx.step_deadline(BUILD_SECONDS),
                target=spec.target,
                build_args=spec.build_args,
                # Cold: the run's first build takes nothing from the engine's cache; later builds may
                # reuse the run's own layers, which is what the examples about the cache show (a rebuild,
                # a second image on the same lower layers). Built FROM the run's base copies, nothing
                # else can match.
                nocache=ctx.nocache and not ctx.build_results,
                aliases={tag: ref for ref, tag in copies.items()},
                on_line=lambda line: ctx.emit(f"  {name}| {line}"),
                limits=ctx.policy.build,
                cgroup_parent=cgroup_parent,
            )
    except ValueError as error:  # a target or build argument that is not plain text
        raise StepFailure("POLICY_REJECTED", f"image {name}: {error}") from error
    except BuildUnconfined as error:  # the machine's fault: the example waits for an engine that can
        raise StepFailure("INFRA", f"image {name}: {error}") from error
    ctx.intermediate_images += result.intermediate_images
    vanished = [ref for ref, tag in copies.items() if not result.ok and not ctx.has_image(tag)]
    if vanished:  # removed from outside after the check above: the builder then tried a registry
        detail = f"image {name}: this run's copy of {vanished[0]} disappeared: {result.error}"
        raise StepFailure("INFRA", detail)
    ctx.builds[name] = result
    ctx.build_results.append(result)
    ctx.facts.pop(name, None)
    cached = sum(step.cached for step in result.steps)
    state = f"built {short_id(result.image_id)}" if result.ok else f"{result.reason}: {result.error}"
    ctx.emit(
        f"build {name}: {state} in {result.duration:.1f} s, {cached}/{len(result.steps)} steps from cache"
    )
    return result


def _uses_scratch(dockerfile: Dockerfile, build_args: dict[str, str]) -> bool:
    values = {**dockerfile.meta_args(), **build_args}
    return any(expand(stage.base, values) == "scratch" for stage in dockerfile.stages)


def _confined(ctx: RunContext, dockerfile: Dockerfile) -> contextlib.AbstractContextManager[str | None]:
    """The cgroup an untrusted build's RUN steps run under (images/build_cgroup.py), or none."""
    limits = ctx.policy.build
    if not limits or not limits.pids or not any(i.keyword == "RUN" for i in dockerfile.instructions):
        return contextlib.nullcontext()
    labels, name = ctx.labels, ctx.helper_name("hold")
    return confining_cgroup(ctx.client, ctx.helper_image(), labels, name, limits, ctx.remaining())


def failure_detail(result: BuildResult) -> str:
    where = f" at {result.failed_instruction!r}" if result.failed_instruction else ""
    code = f" (exit code {result.exit_code})" if result.exit_code is not None else ""
    return f"image {result.image_name}{where}{code}: {result.error}"


def image_id(ctx: RunContext, name: str) -> str:
    """The ID of an image, built now if no step built it yet; a failed build ends the scenario."""
    result = ctx.builds.get(name) or build_now(ctx, name)
    if not result.ok:
        raise StepFailure(result.reason, failure_detail(result))
    return result.image_id


def facts_of(ctx: RunContext, name: str) -> ImageFacts:
    if name not in ctx.facts:
        identifier = image_id(ctx, name)
        spec = spec_of(ctx, name)
        base = dockerfile_of(ctx, spec).base_of(spec.target, spec.build_args)
        ctx.facts[name] = collect_image_facts(
            ctx.client, name, identifier, tag=ctx.builds[name].tag, base_ref=base
        )
    return ctx.facts[name]
