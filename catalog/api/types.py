"""The JSON API's response types: what every endpoint answers, and what its OpenAPI schema is made of.

The one owner of the site-to-API contract (../shared/DESIGN.md, rule 13): the views build these,
worker/contract/codec.to_json writes them, catalog/api/schema.py makes the schema from them.
What the worker measured is passed on in the worker's own contract types (worker/contract/), so
a figure reaches the API, the page and the schema from one definition.

Version 1 only grows: a field may be added, never renamed, retyped or removed; a change that
would is /api/v2/. Every field is always present (null where the type says so).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from catalog import models
from catalog.verifications.comparison import ComparisonRow
from catalog.verifications.result import CheckRow
from worker.contract.analysis import AnalysisSummary, ChangeTotal, FileChange, LayerSummary
from worker.contract.reasons import FailureReason
from worker.contract.report import Environment
from worker.contract.results import BuildStepResult, Check, CommandResult, ImageFacts, StepReport

API_VERSION = "1.0"


class PatternState(enum.StrEnum):
    """A pattern's word on its badge: running while an example runs, else its examples' verdict."""

    RUNNING = "running"
    PASSED = "passed"  # every example's newest result passed
    FAILED = "failed"  # an example's newest result failed
    ERROR = "error"  # an example's newest run stopped on a fault that is not the example's
    NONE = "none"  # not verified yet, not run here, or nothing to run (a platform pattern)


@dataclass(frozen=True)
class PatternSummary:
    """A published pattern as the list gives it."""

    slug: str
    name: str
    symbol: str  # the letters of its tile in the periodic table
    kind: models.Pattern.Kind
    categories: tuple[str, ...]  # category slugs in the author's order; the first is its table column
    summary: str
    state: PatternState
    url: str  # its page on the site
    api_url: str  # its detail in this API


@dataclass(frozen=True)
class PatternList:
    """Published patterns in the periodic table's order, filtered by the query's parameters."""

    api_version: str
    count: int
    filters: dict[str, str]  # the filters applied, by parameter name
    patterns: tuple[PatternSummary, ...]


@dataclass(frozen=True)
class Relation:
    pattern: str  # the other pattern's slug
    relation: str  # uses, part-of, fixes...; "inverse:" and the word when the other pattern names this one


@dataclass(frozen=True)
class ExampleFile:
    path: str  # within the example's folder
    language: str
    executable: bool
    content: str


@dataclass(frozen=True)
class Command:
    """A command the page tells a reader to type, with what the last finished verification saw it do."""

    title: str
    run: str  # the shell line, as the page shows it
    expected: str  # the promised outcome in words ("exits 1, prints 'denied'")
    exit_code: int  # the promised exit code
    output_contains: tuple[str, ...]  # texts the promised output holds
    result: CommandResult | None  # null until a finished verification ran this very line


@dataclass(frozen=True)
class SizePoint:
    finished_at: datetime  # when the passed verification that measured it finished
    size: int  # the image's bytes


@dataclass(frozen=True)
class Layer(LayerSummary):
    files_url: str | None = None  # its changed files, page by page; null when none are kept


@dataclass(frozen=True)
class Analysis(AnalysisSummary):
    """One image's layers: bytes, reclaimable bytes and why, duplicates, efficiency, lint and its cost."""

    layers: tuple[Layer, ...] = ()


@dataclass(frozen=True)
class Image(ImageFacts):
    """A built image: its facts and history as the engine reported them, and its layer analysis."""

    dockerfile: str = ""  # the example's file it was built from, which lint findings' lines are in
    analysis: Analysis | None = None  # null for results from before layers were analysed


@dataclass(frozen=True)
class Build:
    """One build of the run (a first build or a rebuild) and which of its steps the cache served."""

    image: str
    image_id: str  # "" when the build made no image
    ok: bool
    duration: float  # seconds
    steps: tuple[BuildStepResult, ...]
    cached_steps: int  # steps that came from the build cache
    reason: str  # why it failed (BUILD_FAILED, BUILD_TIMEOUT...), "" when ok
    error: str  # the engine's error line
    exit_code: int | None  # the failing RUN's exit code
    failed_instruction: str


@dataclass(frozen=True)
class Measures:
    """One image's figures as compared; null where the run did not measure it."""

    size: int | None  # bytes
    own: int | None  # bytes the Dockerfile added to its base
    layers: int | None
    reclaimable: int | None  # bytes stored in layers but hidden in the final image
    build_time: float | None  # seconds of its last build
    cached_steps: int | None  # steps of its last build that came from the cache
    steps: int | None  # steps of its last build
    stop_time: float | None  # seconds `docker stop` took


@dataclass(frozen=True)
class Comparison:
    """Two images of the example side by side, with the figures the rows are written from."""

    left: str  # image name
    right: str
    left_measures: Measures
    right_measures: Measures
    rows: tuple[ComparisonRow, ...]
    differences: int  # rows that differ


@dataclass(frozen=True)
class Side:
    heading: str
    images: tuple[str, ...]  # images this side's steps start
    checks: tuple[CheckRow, ...]  # the page's rows of this side's checks


@dataclass(frozen=True)
class BeforeAfter:
    """An anti-pattern and its fix measured in one run: what each side's checks observed."""

    before: Side
    after: Side
    same_images: bool  # both sides start the same images: the difference is in how they are run


@dataclass(frozen=True)
class Base:
    """A base image as the run found it: a stand-in built offline, pulled, local or missing."""

    ref: str
    source: str  # stand-in, pulled, local or missing
    image_id: str
    digest: str  # the pulled image's repository digest, "" otherwise
    recipe: str  # the offline recipe a stand-in was built from
    differs: str  # for a stand-in: what it is known to differ in from the published image


@dataclass(frozen=True)
class Verification:
    """One verification of an example: its state and, once finished, everything its run proved."""

    id: int
    state: models.Verification.State
    status: str  # the panel's word: the state, "skipped" when not run here, "none"
    headline: str  # the panel's one-line verdict
    failure_reason: FailureReason
    failure_label: str  # the reason in words, "" without one
    detail: str
    attempt: int
    queued_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    duration: float | None  # seconds
    current: bool  # it verified the example's present files (else an earlier version)
    checks: tuple[Check, ...]
    steps: tuple[StepReport, ...]
    builds: tuple[Build, ...]
    images: dict[str, Image]  # by image name
    comparisons: tuple[Comparison, ...]
    before_after: BeforeAfter | None  # null unless the scenario marks the mistake's and the fix's steps
    bases: tuple[Base, ...]
    commands: tuple[CommandResult, ...]  # the page's commands as this run ran them
    engine: dict[str, str]
    environment: Environment | None  # engine, runner and bases; null for results from before it was kept
    log_url: str


@dataclass(frozen=True)
class Example:
    slug: str
    title: str
    summary: str
    content_hash: str
    host_access: tuple[str, ...]  # the host access it needs (docker-socket, pid...), empty for none
    scenario: dict[str, Any]  # its example.yaml, normalised
    archive_url: str
    files: tuple[ExampleFile, ...]
    status: str  # the verification panel's word
    verification: Verification | None  # the newest, maybe still queued or running
    last_result: Verification | None  # the newest finished: what the page's verification panel shows
    commands: tuple[Command, ...]
    size_history: dict[str, tuple[SizePoint, ...]]  # image name -> its size at each passed verification


@dataclass(frozen=True)
class PatternDetail(PatternSummary):
    """A published pattern with its text, relations and examples, and everything their runs proved."""

    api_version: str = API_VERSION
    body_markdown: str = ""
    sources: tuple[dict[str, str], ...] = ()  # title, author, url, where
    related: tuple[Relation, ...] = ()
    examples: tuple[Example, ...] = ()


@dataclass(frozen=True)
class LayerFiles:
    """One page of the paths a layer changed, sorted by path (the analysis keeps the largest changes)."""

    api_version: str
    verification: int
    image: str
    layer: int  # its index, from 0 (the base image's first layer)
    instruction: str  # the Dockerfile instruction that made it, "" for a base layer
    created_by: str  # as the image's history says
    totals: dict[str, ChangeTotal]  # change kind -> every change of the layer counted
    changes_truncated: bool  # the layer changed more paths than the analysis keeps
    changes_cap: int
    count: int  # changes kept, over every page
    page: int
    pages: int
    per_page: int
    previous: str | None
    next: str | None
    changes: tuple[FileChange, ...]


@dataclass(frozen=True)
class Problem:
    """Why a request was refused."""

    error: str
    parameter: str = field(default="", metadata={"doc": "the query parameter at fault, if any"})
    allowed: tuple[str, ...] = ()  # the values it takes
