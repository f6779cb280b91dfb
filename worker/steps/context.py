"""What one scenario run carries from step to step: its engine objects, images, deadline and labels."""

from __future__ import annotations

import itertools
import math
import re
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import docker
from docker.errors import APIError, ImageNotFound, NotFound

from worker.bases.run_bases import BaseCopyError, copy_base
from worker.contract.labels import ATTEMPT, BASE_COPY, INSTANCE, RUN, RUN_ONLY, VERIFICATION
from worker.contract.results import BuildResult, Check, ImageFacts
from worker.engine.cleanup import remove_labelled
from worker.engine.client import engine_errors
from worker.engine.interrupts import INTERRUPTS
from worker.images.build_context import Files, context_tar, touched
from worker.images.scratch import ScratchLoadError, load_scratch
from worker.policy import RunPolicy
from worker.steps.judges import Expectations, evaluate
from worker.steps.output import ContainerOutput

if TYPE_CHECKING:
    # Types only: the scenario's parser reads the step registry, so the steps never import it.
    from worker.scenario.model import Scenario, Step

HELPER_IMAGE = "busybox:1.35"  # probes, volume filling and file checks; provisioned like any base
RETRY_INTERVAL = 0.5
_TAG_PART = re.compile(r"^[0-9a-z]+$")


class StepFailure(Exception):
    """A step could not do its job; `reason` is the scenario's failure reason (INFRA, BUILD_FAILED...)."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class StepOutcome:
    checks: tuple[Check, ...] = ()
    reason: str = ""  # set when the step ends the scenario
    detail: str = ""
    summary: str = ""  # one line for the live log, e.g. "exit 0 after 0.31 s"
    output: str = ""  # what the step saw printed (container output, exec output, probe body)


@dataclass
class ContainerHandle:
    name: str  # as the scenario calls it
    id: str
    output: ContainerOutput
    started: float = field(default_factory=time.monotonic)


class RunContext:
    """The mutable state of one run. Everything the engine creates for it is recorded for the cleanup."""

    def __init__(
        self,
        client: docker.DockerClient,
        scenario: Scenario,
        files: Files,
        labels: Mapping[str, str],
        policy: RunPolicy,
        *,
        deadline: float,
        emit: Callable[[str], None],
        nocache: bool = False,
        base_cache: Path | None = None,
    ):
        self.client, self.scenario, self.policy = client, scenario, policy
        self.files = dict(files)
        self.token = uuid.uuid4().hex[:10]
        # The run label lets the cleanup find what a half-finished call created but never returned.
        self.labels = {**labels, RUN: self.token}
        # Images outlive the run (the caller removes them by its own labels), and the classic
        # builder turns every build label into one more step (~75 ms each): images carry only
        # what finds them again, not the attempt or the example's name.
        self.image_labels = {key: value for key, value in labels.items() if key not in RUN_ONLY}
        self.deadline, self.emit, self.nocache = deadline, emit, nocache
        self.base_cache = base_cache  # where base configs are kept between runs (worker/bases/run_bases.py)
        self.base_copies: dict[str, str] = {}  # base ref -> the tag of this run's private copy
        self.builds: dict[str, BuildResult] = {}
        self.build_results: list[BuildResult] = []
        self.facts: dict[str, ImageFacts] = {}
        self.insights: dict[str, dict] = {}  # image name -> analysis summary with lint
        self.layer_details: dict[str, dict] = {}  # image name -> full analysis (stored apart)
        self.containers: dict[str, ContainerHandle] = {}
        self.outputs: list[tuple[str, ContainerOutput]] = []
        self.volumes: dict[str, str] = {}  # scenario name -> engine name
        self.networks: dict[str, str] = {}
        self.intermediate_images: list[str] = []  # of every build, failed or not, for the clean-up
        self.made: dict[str, int] = {}  # kind ("containers", "volumes"...) -> how many this run made
        self._context: bytes | None = None
        self._helper_image = ""
        self._serial = itertools.count(1)
        verification, attempt = labels.get(VERIFICATION, ""), labels.get(ATTEMPT, "")
        instance = labels.get(INSTANCE, "")
        if _TAG_PART.match(verification) and _TAG_PART.match(attempt):
            # The instance keeps tags of two catalogs sharing an engine apart.
            prefix = f"{instance}-" if _TAG_PART.match(instance) else ""
            self.repository = f"catalog-verify/{prefix}{verification}-{attempt}"
        else:
            self.repository = f"catalog-verify/run-{self.token}"

    def remaining(self) -> float:
        return self.deadline - time.monotonic()

    def step_deadline(self, seconds: float) -> float:
        """A step's own deadline, never past the scenario's; NaN or a negative number means the scenario's.

        The parser refuses such durations; a stored scenario is checked again here.
        """
        if not isinstance(seconds, int | float) or math.isnan(seconds) or seconds < 0:
            return self.deadline
        return min(self.deadline, time.monotonic() + seconds)

    def seconds(self, seconds: float) -> float:
        """A duration a step hands to the engine (a stop's grace), cut to what the scenario has left."""
        return max(0.0, self.step_deadline(seconds) - time.monotonic())

    def count(self, kind: str, most: int | None) -> None:
        """One more object of `kind` ("containers", "volumes"...) made; refused past the policy's `most`."""
        self.made[kind] = self.made.get(kind, 0) + 1
        if most is not None and self.made[kind] > most:
            trust = self.policy.trust
            detail = f"the example makes more than {most} {kind}; {trust} examples may make no more"
            raise StepFailure("POLICY_REJECTED", detail)

    def engine_name(self, suffix: str) -> str:
        return f"cv-{self.token}-{suffix}"

    def helper_name(self, kind: str) -> str:
        """A fresh engine name for a short-lived helper (probe, volume filler, file check)."""
        return self.engine_name(f"{kind}-{next(self._serial)}")

    def context(self) -> bytes:
        if self._context is None:
            self._context = context_tar(self.files)
        return self._context

    def touch(self, path: str) -> None:
        self.files = touched(self.files, path)
        self._context = None

    def base_copy(self, ref: str) -> str:
        """The tag of this run's private copy of a base image, made on first use (bases/run_bases.py).

        "scratch" has a copy too: an image of no layers that only carries the labels, so that the
        images and build containers of a stage FROM scratch carry them as well (images/scratch.py).
        """
        if ref not in self.base_copies:
            tag = f"{self.repository}:base-{len(self.base_copies) + 1}"
            labels = {**self.image_labels, BASE_COPY: self.token}
            try:
                if ref == "scratch":
                    load_scratch(self.client, tag, labels)
                else:
                    copy_base(self.client, ref, tag, labels, self.base_cache)
            except (BaseCopyError, ScratchLoadError) as error:
                raise StepFailure("INFRA", str(error)) from error
            self.base_copies[ref] = tag
            return tag
        tag = self.base_copies[ref]
        if not self.has_image(tag):
            raise StepFailure(
                "INFRA", f"this run's copy of {ref} disappeared from the engine (removed from outside?)"
            )
        return tag

    def has_image(self, ref: str) -> bool:
        try:
            with engine_errors():
                self.client.images.get(ref)
        except ImageNotFound:
            return False
        return True

    def helper_image(self) -> str:
        """The ID of the helper image; a missing one is the machine's fault, never the example's."""
        if not self._helper_image:
            try:
                with engine_errors():
                    self._helper_image = self.client.images.get(HELPER_IMAGE).id
            except ImageNotFound as error:
                raise StepFailure(
                    "INFRA", f"the helper image {HELPER_IMAGE} is not on this engine"
                ) from error
        return self._helper_image

    def flooded(self) -> str:
        """The name of a container that printed past the output limit, or ""."""
        return next((name for name, output in self.outputs if output.exceeded.is_set()), "")

    def _remove_intermediate_images(self) -> list[str]:
        """Newest first and never forced: an image another image or container still uses stays."""
        problems = []
        for image in reversed(self.intermediate_images):
            try:
                self.client.images.remove(image)
            except (NotFound, APIError):
                pass  # gone with a child, or still needed (cached by a kept image): both fine
            except INTERRUPTS:
                raise
            except Exception as error:
                problems.append(f"image {image}: {error}")
        return problems

    def cleanup(self) -> list[str]:
        """Remove this run's containers (with their anonymous volumes), volumes and networks.

        Images stay: the result refers to them and the caller removes them later.
        Returns what could not be removed; never raises, since it runs in a `finally`.
        """
        problems = remove_labelled(self.client, {RUN: self.token})
        problems += self._remove_intermediate_images()
        until = time.monotonic() + 2
        for _, output in self.outputs:
            output.join(until - time.monotonic())  # readers end with their containers
        return problems


def retry_until(
    ctx: RunContext,
    index: int,
    step: Step,
    observe: Callable[[], dict],
    retry_for: float,
    expectations: Expectations,
) -> tuple[tuple[Check, ...], dict]:
    """Observe and judge, again and again until every check passes or retry_for runs out.

    Authors write `retry_for: 10s` instead of a sleep: a server that is up after
    0.4 s passes after 0.4 s. An observation marked "final" (a timeout, a flood) is not retried.
    """
    until = ctx.step_deadline(retry_for)
    while True:
        observed = observe()
        checks = tuple(evaluate(index, step.action, step.expect, observed, expectations))
        finished = all(check.passed for check in checks) or observed.get("final")
        if finished or time.monotonic() + RETRY_INTERVAL >= until:
            return checks, observed
        time.sleep(RETRY_INTERVAL)
