"""What a scenario run reports: frozen result dataclasses, their JSON form, and the capped log they carry."""

from __future__ import annotations

import re
import threading
from dataclasses import asdict, dataclass, field

FAILURE_REASONS = (
    "",
    "BUILD_FAILED",
    "CHECK_FAILED",
    "BUILD_TIMEOUT",
    "RUN_TIMEOUT",
    "OOM",
    "OUTPUT_LIMIT",
    "INVALID_DOCKERFILE",
    "POLICY_REJECTED",
    "HOST_ACCESS_DISABLED",
    "INFRA",
)
LOG_HEAD = 64 * 1024
LOG_TAIL = 64 * 1024
OUTPUT_LIMIT = 1024 * 1024
_CONTROL = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]|[\x01-\x08\x0b\x0c\x0e-\x1f\x7f]")


class CappedLog:
    """Keeps the first and the last 64 KiB of a stream and counts the rest.

    A flooding container or build then costs bounded memory, and the stored log
    still shows how the output began and how it ended. Thread-safe: a reader
    thread appends while the runner reads.
    """

    def __init__(self, head: int = LOG_HEAD, tail: int = LOG_TAIL):
        self._head_size, self._tail_size = head, tail
        self._head = bytearray()
        self._tail = bytearray()
        self._lock = threading.Lock()
        self.total = 0

    def add(self, data: bytes | str) -> None:
        chunk = data.encode() if isinstance(data, str) else bytes(data)
        with self._lock:
            self.total += len(chunk)
            room = self._head_size - len(self._head)
            if room > 0:
                self._head += chunk[:room]
                chunk = chunk[room:]
            if chunk:
                self._tail += chunk
                del self._tail[: max(0, len(self._tail) - self._tail_size)]

    def text(self) -> str:
        """The log as clean text: UTF-8 with replacement, no NUL, ANSI or other control characters."""
        with self._lock:
            head, tail, total = bytes(self._head), bytes(self._tail), self.total
        omitted = total - len(head) - len(tail)
        text = _clean(head)
        if omitted > 0:
            text += f"\n[... {omitted} bytes omitted ...]\n"
        return text + _clean(tail)


def capped_text(text: str, head: int = 16 * 1024, tail: int = 16 * 1024) -> str:
    """Text cut to its first and last bytes, with a marker saying how much is left out."""
    log = CappedLog(head, tail)
    log.add(text)
    return log.text()


def _clean(data: bytes) -> str:
    # NUL becomes a space: databases refuse it, and /proc/*/cmdline stays readable as words.
    return _CONTROL.sub("", data.decode("utf-8", errors="replace").replace("\x00", " "))


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
    reason: str = ""  # BUILD_FAILED, BUILD_TIMEOUT, OUTPUT_LIMIT or INVALID_DOCKERFILE when not ok
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
class ScenarioResult:
    outcome: str  # passed, failed, error
    failure_reason: str
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

    def __post_init__(self) -> None:
        if self.failure_reason not in FAILURE_REASONS:
            raise ValueError(f"unknown failure reason {self.failure_reason!r}")

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    def to_dict(self) -> dict:
        """Plain JSON-ready data (tuples become lists when serialised)."""
        return asdict(self)
