"""Run one example's scenario on the engine: refuse what the policy forbids, run the steps, report it all."""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import time
from collections.abc import Callable, Collection, Mapping
from pathlib import Path

import docker
from docker.errors import APIError

from worker.bases.specs import load_allowed_bases
from worker.capped_log import CappedLog, capped_text, clean_text
from worker.commands.locks import DEFAULT_ROOT as DEFAULT_LOCK_ROOT
from worker.commands.session import CommandsUnavailable, run_commands
from worker.commands.tools import CommandTools, ToolsMissing, find_tools
from worker.contract.quantities import format_size
from worker.contract.results import Check, CommandResult, ScenarioResult, StepReport
from worker.engine.client import (
    EngineUnavailable,
    checked_labels,
    engine_errors,
    engine_fault,
    engine_info,
)
from worker.engine.disk_space import EngineLowOnDisk, ensure_free_space
from worker.engine.interrupts import INTERRUPTS
from worker.images.build_context import safe_path
from worker.images.insight import image_insight
from worker.policy import RunPolicy, check_context, check_dockerfile, run_policy
from worker.scenario import Scenario
from worker.scenario.trust import trust_problems
from worker.steps.compare import compare
from worker.steps.context import RunContext, StepFailure, StepOutcome
from worker.steps.dispatch import execute_step, failed
from worker.steps.images import facts_of, image_id
from worker.steps.registry import describe

log = logging.getLogger(__name__)
COMMANDS_BUDGET = 10 * 60.0  # all of an example's commands together


@dataclasses.dataclass(frozen=True)
class CommandsSetup:
    """How a run types the page's commands: in a folder named like the example's, with these tools."""

    folder_name: str
    tools: CommandTools | None = None  # None: find them (worker/commands/tools.py)
    lock_root: Path = DEFAULT_LOCK_ROOT
    min_free_bytes: int = 0  # a failed command on an engine with less free is the disk's fault


def run_scenario(
    client: docker.DockerClient,
    scenario: Scenario,
    files: Mapping[str, tuple[bytes, bool]],
    labels: Mapping[str, str],
    *,
    trust: str = "curated",
    allow_host_access: bool = False,
    on_event: Callable[[str], None] | None = None,
    nocache: bool = False,
    allowed_bases: Collection[str] | None = None,
    analyse: bool = True,
    base_cache: Path | None = None,
    commands: CommandsSetup | None = None,
) -> ScenarioResult:
    """Build the example's images, run its steps in order, judge every expectation.

    Everything the run creates carries `labels` plus a per-run label, and is removed
    before returning (images excepted: see builder.remove_images). EngineUnavailable,
    exceptions raised by `on_event` and Celery's time limit (worker/engine/interrupts.py)
    propagate, after the clean-up; every other problem is a result.
    `allowed_bases` is the FROM allow-list for untrusted examples (default: bases.yaml).
    `analyse` reads every built image's layers and lints its Dockerfile (worker/images/insight.py).
    `base_cache` is a folder that keeps base images' configs between runs (worker/bases/run_bases.py).
    `commands`, when given, runs the example's commands with the Docker CLI once the steps are done
    (worker/commands/); curated examples only: a contributor's shell lines never reach this host.
    """
    started = time.monotonic()
    policy, labels = run_policy(trust), checked_labels(labels)
    emit = _Emitter(on_event)
    try:
        refusal = refuse(scenario, files, policy, allow_host_access, allowed_bases)
        if refusal:
            emit(f"refused: {refusal[1]}")
            reports = tuple(
                StepReport(i, s.action, describe(s), "not run") for i, s in enumerate(scenario.steps)
            )
            took = time.monotonic() - started
            return ScenarioResult("failed", *refusal, steps=reports, log=emit.log.text(), duration=took)
        engine = engine_info(client)
        platform = f"{engine['os']}/{engine['arch']}"
        emit(f"engine {engine['version']} (API {engine['api_version']}, {platform}), trust {trust}")
        if nocache:
            emit("cold: no build of this run takes a layer the engine cached before it")
        ctx = RunContext(
            client,
            scenario,
            files,
            labels,
            policy,
            deadline=started + policy.scenario_seconds(scenario.timeout),
            emit=emit,
            nocache=nocache,
            base_cache=base_cache,
        )
        tally = _Tally()
        try:
            try:
                with engine_errors():
                    run_steps(ctx, tally)
                    collect_facts(ctx)
            finally:
                problems = ctx.cleanup()
                emit.quietly(
                    f"cleanup: could not remove {'; '.join(problems)}" if problems else "cleanup: done"
                )
            if commands is not None and scenario.commands and not tally.reason and policy.trust == "curated":
                with engine_errors():
                    tally.commands = run_page_commands(ctx, commands, tally)
            if analyse:
                with engine_errors():
                    collect_insights(ctx)
        except (EngineUnavailable, _CallbackError, *INTERRUPTS):
            raise
        except APIError as error:  # the layer analysis or the clean-up met an engine error
            tally.stop("INFRA", engine_fault(error) or f"the engine refused a request of the runner: {error}")
        except Exception as error:  # a bug of ours must not leave the verification hanging
            log.exception("scenario runner failed")
            tally.stop("INFRA", f"internal error in the runner: {type(error).__name__}: {error}")
        return tally.result(ctx, engine, emit, time.monotonic() - started)
    except _CallbackError as wrapped:
        raise wrapped.error from None


def refuse(
    scenario: Scenario,
    files: Mapping[str, tuple[bytes, bool]],
    policy: RunPolicy,
    allow_host_access: bool,
    allowed_bases: Collection[str] | None,
) -> tuple[str, str] | None:
    """Why the scenario must not reach the engine at all, as (failure reason, detail); None if it may."""
    used = {kind for step in scenario.steps for kind in step.params.get("host_access", [])}
    if used - set(scenario.host_access):
        return "POLICY_REJECTED", f"steps use host access not declared in host_access: {sorted(used)}"
    if scenario.host_access:
        needed = ", ".join(scenario.host_access)
        if not policy.host_access:
            return (
                "POLICY_REJECTED",
                f"the example asks for host access ({needed}); untrusted examples never get it",
            )
        if not allow_host_access:
            return (
                "HOST_ACCESS_DISABLED",
                f"the example needs host access ({needed}); this worker does not allow it",
            )
    forbidden = trust_problems(scenario, policy.trust)
    if forbidden:  # the loader says so beside the field; a scenario built elsewhere is refused here too
        return "POLICY_REJECTED", "; ".join(f"{problem.field}: {problem.message}" for problem in forbidden)
    missing = sorted({spec.dockerfile for spec in scenario.images} - set(files))
    if missing:
        return "POLICY_REJECTED", f"Dockerfile(s) not among the example's files: {', '.join(missing)}"
    if policy.trust == "curated":
        unsafe = [path for path in files if not safe_path(path)]
        return ("POLICY_REJECTED", f"unsafe file names: {unsafe}") if unsafe else None
    findings = [finding.message for finding in check_context(files)]
    bases = load_allowed_bases() if allowed_bases is None else allowed_bases
    for spec in sorted(scenario.images, key=lambda spec: spec.dockerfile):
        text = files[spec.dockerfile][0].decode("utf-8", errors="replace")
        for found in check_dockerfile(text, bases, spec.build_args):
            message = f"{spec.dockerfile} line {found.line}: {found.message}"
            findings += [message] if message not in findings else []
    return ("POLICY_REJECTED", "; ".join(findings)) if findings else None


def run_steps(ctx: RunContext, tally: _Tally) -> None:
    steps = ctx.scenario.steps
    for index, step in enumerate(steps):
        title = describe(step)
        if not tally.reason and ctx.remaining() <= 0:
            seconds = ctx.policy.scenario_seconds(ctx.scenario.timeout)
            tally.stop("RUN_TIMEOUT", f"the scenario's timeout of {seconds:.0f} s ran out")
        if tally.reason:
            tally.reports.append(StepReport(index, step.action, title, "not run"))
            continue
        ctx.emit(f"step {index + 1}/{len(steps)}: {title}")
        began = time.monotonic()
        outcome = execute_step(ctx, index, step)
        flooded = ctx.flooded()
        if flooded and not outcome.reason:
            # A background container flooded while this step ran; the reader already killed it.
            outcome = dataclasses.replace(
                outcome, reason="OUTPUT_LIMIT", detail=f"container {flooded} printed more than 1 MiB"
            )
        tally.record(ctx, index, step.action, title, outcome, time.monotonic() - began)
    if tally.reason:
        return
    for spec in ctx.scenario.images:
        if spec.name not in ctx.builds:
            # No step used this image: built anyway, so that its size and layers are recorded.
            outcome = _guarded(len(steps), "build", lambda name=spec.name: image_id(ctx, name))
            if outcome.reason:
                tally.stop(outcome.reason, f"image {spec.name}: {outcome.detail}")
                return
    for offset, comparison in enumerate(ctx.scenario.compare):
        index, title = len(steps) + offset, f"compare {' and '.join(comparison.images)}"
        began = time.monotonic()
        outcome = _guarded(index, "compare", lambda c=comparison, i=index: compare(ctx, i, c))
        tally.record(ctx, index, "compare", title, outcome, time.monotonic() - began)
        if tally.reason:
            return


def _guarded(index: int, action: str, work: Callable[[], object]) -> StepOutcome:
    """Work outside the steps (final builds, comparisons) failing the way a step fails."""
    try:
        result = work()
    except StepFailure as failure:
        return failed(index, action, failure.reason, failure.detail)
    except APIError as error:
        fault = engine_fault(error)
        return failed(index, action, "INFRA" if fault else "CHECK_FAILED", fault or str(error))
    return result if isinstance(result, StepOutcome) else StepOutcome()


def run_page_commands(ctx: RunContext, setup: CommandsSetup, tally: _Tally) -> tuple[CommandResult, ...]:
    """The page's commands, after the steps: their failure is the example's, a missing CLI is not."""
    budget = min(sum(command.timeout for command in ctx.scenario.commands), COMMANDS_BUDGET)
    try:
        outcome = run_commands(
            ctx.client,
            ctx.scenario.commands,
            ctx.files,
            ctx.labels,
            folder_name=setup.folder_name,
            tools=setup.tools or find_tools(),
            deadline=time.monotonic() + budget,
            host_access=ctx.scenario.host_access,
            emit=ctx.emit,
            lock_root=setup.lock_root,
            cold=ctx.nocache,
        )
    except (CommandsUnavailable, ToolsMissing) as error:
        tally.stop("INFRA", f"the page's commands could not run: {error}")
        return ()
    ctx.emit(f"commands: {outcome.detail}")
    if outcome.reason == "COMMAND_FAILED" and setup.min_free_bytes:
        try:  # the CLI hides the engine's "no space left on device" among other errors: measure
            ensure_free_space(ctx.client, setup.min_free_bytes)
        except EngineLowOnDisk as low:
            tally.stop("INFRA", f"a command failed on an engine low on disk: {low}")
            return outcome.results
    if outcome.reason:
        tally.stop(outcome.reason, outcome.detail)
    return outcome.results


def collect_insights(ctx: RunContext) -> None:
    """Layer analysis and lint of every image with facts, once the containers are gone."""
    for spec in ctx.scenario.images:
        facts = ctx.facts.get(spec.name)
        if facts is None:
            continue
        ctx.emit(f"analysing image {spec.name}: its layers and its Dockerfile's lint")
        # Also in the worker's own log, at once: the run's log reaches the database a second later.
        log.info("analysing image %s (%s)", spec.name, facts.id)
        began = time.monotonic()
        summary, full = image_insight(
            ctx.client,
            facts.id,
            dockerfile=ctx.files[spec.dockerfile][0].decode("utf-8", errors="replace"),
            target=spec.target,
            base_id=facts.base_id,
            trailing_labels=1 if ctx.image_labels else 0,  # one LABEL step: build_context.labelled_build
        )
        ctx.insights[spec.name], ctx.layer_details[spec.name] = summary, full
        log.info("analysed image %s (%s)", spec.name, facts.id)
        reclaimable = summary.get("reclaimable_bytes")
        found = len((summary.get("lint") or {}).get("findings") or ())
        ctx.emit(
            f"analysed image {spec.name} in {time.monotonic() - began:.1f} s: "
            f"{'?' if reclaimable is None else format_size(reclaimable)} reclaimable, {found} lint findings"
        )


def collect_facts(ctx: RunContext) -> None:
    """Facts of every image that built, also when the scenario stopped early: sizes help explain failures."""
    for name, build in list(ctx.builds.items()):
        if build.ok and name not in ctx.facts:
            try:
                facts_of(ctx, name)
            except (StepFailure, APIError) as error:
                ctx.emit(f"no facts for image {name}: {error}")


@dataclasses.dataclass
class _Tally:
    checks: list[Check] = dataclasses.field(default_factory=list)
    reports: list[StepReport] = dataclasses.field(default_factory=list)
    commands: tuple[CommandResult, ...] = ()
    reason: str = ""
    detail: str = ""

    def stop(self, reason: str, detail: str) -> None:
        if not self.reason:
            # Details quote the engine, which quotes the Dockerfile and the build's output.
            self.reason, self.detail = reason, clean_text(detail)

    def record(
        self, ctx: RunContext, index: int, action: str, title: str, outcome: StepOutcome, took: float
    ) -> None:
        # What a check observed may quote a container (its output, its processes' names): kept clean.
        self.checks += [
            dataclasses.replace(c, observed=clean_text(c.observed), detail=clean_text(c.detail))
            for c in outcome.checks
        ]
        passed = all(check.passed for check in outcome.checks)
        status = "error" if outcome.reason else ("passed" if passed else "failed")
        detail = clean_text(outcome.detail or outcome.summary)
        output = capped_text(outcome.output)
        self.reports.append(StepReport(index, action, title, status, took, detail, output))
        for check in outcome.checks:
            mark = "ok  " if check.passed else "FAIL"
            ctx.emit(f"  {mark} {check.name}: expected {check.expected}, observed {check.observed}")
        ctx.emit(f"  -> {outcome.summary or status} ({took:.2f} s)")
        if outcome.reason:
            self.stop(outcome.reason, f"step {index + 1} ({title}): {outcome.detail}")

    def result(self, ctx: RunContext, engine: dict, emit: _Emitter, duration: float) -> ScenarioResult:
        failures = [check for check in self.checks if not check.passed]
        reason = self.reason or ("CHECK_FAILED" if failures else "")
        if self.detail:
            detail = self.detail
        elif failures:
            first = failures[0]
            detail = (
                f"{len(failures)} of {len(self.checks)} checks failed; first: step {first.step_index + 1} "
                f"{first.name}: expected {first.expected}, observed {first.observed}"
            )
        else:
            detail = f"all {len(self.checks)} checks passed"
        outcome = "passed" if not reason else ("error" if reason == "INFRA" else "failed")
        emit.quietly(f"{outcome}{f' ({reason})' if reason else ''}: {detail}")
        images = {spec.name: ctx.facts[spec.name] for spec in ctx.scenario.images if spec.name in ctx.facts}
        return ScenarioResult(
            outcome=outcome,
            failure_reason=reason,
            detail=detail,
            checks=tuple(self.checks),
            builds=tuple(ctx.build_results),
            images=images,
            analysis=dict(ctx.insights),
            layer_details=dict(ctx.layer_details),
            steps=tuple(self.reports),
            log=emit.log.text(),
            duration=duration,
            engine=engine,
            commands=self.commands,
        )


class _CallbackError(Exception):
    """An exception raised by the caller's on_event: it belongs to the caller, so it is re-raised."""

    def __init__(self, error: Exception):
        super().__init__(str(error))
        self.error = error


class _Emitter:
    """Sends progress lines to the caller and keeps them, capped, as the scenario's log."""

    def __init__(self, on_event: Callable[[str], None] | None):
        self.on_event = on_event
        self.log = CappedLog()

    def __call__(self, line: str) -> None:
        # Lines quote build output and Dockerfiles: no terminal control reaches a terminal or the live log.
        line = clean_text(line)
        self.log.add(line + "\n")
        if self.on_event is not None:
            try:
                self.on_event(line)
            except INTERRUPTS:
                raise  # not the caller's own error: `quietly` must not swallow it
            except Exception as error:
                raise _CallbackError(error) from error

    def quietly(self, line: str) -> None:
        """For cleanup and the summary: a failing on_event must not hide the original outcome."""
        with contextlib.suppress(_CallbackError):
            self(line)
