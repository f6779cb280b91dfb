"""What one scenario run produces: its checks, builds, images and steps, as frozen dataclasses.

Everything here but the run's log and full layer details is stored in the verification's
result (worker/contract/report.py) and read back by the site through the same types.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field

from worker.contract.reasons import FailureReason, Outcome


@dataclass(frozen=True)
class BuildStepResult:
    number: int
    instruction: str
    cached: bool


@dataclass(frozen=True)
class BuildResult:
    image_name: str
    image_id: str  # "" when the build made no image
    ok: bool
    steps: tuple[BuildStepResult, ...]
    log: str
    error: str  # the engine's error line, or why the build was stopped
    exit_code: int | None  # the failing RUN's exit code
    duration: float
    reason: str = ""  # BUILD_FAILED, BUILD_TIMEOUT, OUTPUT_LIMIT, INVALID_DOCKERFILE or INFRA when not ok
    failed_instruction: str = ""
    tag: str = ""
    # Images the build made on the way (step results, earlier stages): unlabelled by the
    # classic builder, so the run removes them itself once it no longer needs the cache.
    intermediate_images: tuple[str, ...] = ()


@dataclass(frozen=True)
class Check:
    step_index: int  # comparisons count on after the steps: len(steps) + their index
    action: str
    name: str
    expected: str
    observed: str
    passed: bool
    detail: str = ""


@dataclass(frozen=True)
class HistoryRow:
    created_by: str  # as the engine reports it
    instruction: str  # the same, without "/bin/sh -c #(nop)" noise
    size: int
    created: int  # Unix seconds
    comment: str = ""
    base: bool = False  # the row comes from the base image


@dataclass(frozen=True)
class ImageFacts:
    name: str
    id: str
    tag: str
    size: int
    layers: int
    history: tuple[HistoryRow, ...]  # oldest first, the order of the Dockerfile
    base_ref: str  # "scratch", an image reference, or "" when unknown
    base_id: str
    base_size: int
    own_size: int
    base_matched: bool  # the base's layers are a prefix of this image's layers
    labels: dict[str, str] = field(default_factory=dict)
    exposed_ports: tuple[str, ...] = ()
    volumes: tuple[str, ...] = ()
    user: str = ""
    entrypoint: tuple[str, ...] | None = None
    cmd: tuple[str, ...] | None = None
    workdir: str = ""
    onbuild: tuple[str, ...] = ()
    healthcheck: tuple[str, ...] | None = None
    created: str = ""


@dataclass(frozen=True)
class StepReport:
    index: int
    action: str
    title: str
    status: str  # passed, failed, error, not run
    duration: float = 0.0
    detail: str = ""
    output: str = ""  # what the step saw printed, kept to its first and last 16 KiB


@dataclass(frozen=True)
class CommandResult:
    """One command of the page as the verification ran it with the Docker CLI."""

    index: int
    title: str
    run: str
    expected: str  # the outcome the page promises, in words ("exits 0, prints 'denied'")
    status: str  # passed, failed, error, not run
    exit_code: int | None = None  # None when it did not run or was stopped
    output: str = ""  # stdout and stderr together, kept to their first and last 8 KiB
    duration: float = 0.0
    detail: str = ""  # why it failed, in words


@dataclass(frozen=True)
class ScenarioResult:
    outcome: Outcome
    failure_reason: FailureReason
    detail: str
    checks: tuple[Check, ...] = ()
    builds: tuple[BuildResult, ...] = ()
    images: dict[str, ImageFacts] = field(default_factory=dict)
    analysis: dict[str, dict] = field(default_factory=dict)  # image name -> layer summary and lint
    layer_details: dict[str, dict] = field(default_factory=dict)  # full analyses; the caller stores them
    steps: tuple[StepReport, ...] = ()
    log: str = ""
    duration: float = 0.0
    engine: dict[str, str] = field(default_factory=dict)
    commands: tuple[CommandResult, ...] = ()

    def __post_init__(self) -> None:
        # Plain strings are accepted and checked: an unknown word raises ValueError here.
        object.__setattr__(self, "outcome", Outcome(self.outcome))
        object.__setattr__(self, "failure_reason", FailureReason(self.failure_reason))

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    def to_dict(self) -> dict:
        """Plain JSON-ready data (tuples become lists when serialised)."""
        return asdict(self)
