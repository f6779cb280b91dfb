"""A finished verification's result as the database keeps it: written by the worker, read by the site.

Every stored result carries `schema_version`. Results stored before it existed (version 0)
have the same field names and lack only fields added since, which take their defaults: one
reader serves both, and a test reads every shape the catalog has stored.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from worker.contract.analysis import AnalysisSummary
from worker.contract.codec import from_json, to_json
from worker.contract.reasons import FailureReason, Outcome
from worker.contract.results import (
    BuildResult,
    Check,
    CommandResult,
    ImageFacts,
    ScenarioResult,
    StepReport,
)

SCHEMA_VERSION = 1
UNVERSIONED = 0  # results stored before the contract had a version


@dataclass(frozen=True)
class LayerDownload:
    """One layer of a base as a pull fetches it: its uncompressed digest and its gzip-compressed size."""

    diff_id: str
    size: int
    unpacked: int = 0  # the layer's tar as the engine stores it; 0 in results before it was kept


@dataclass(frozen=True, kw_only=True)
class BaseUsed:
    """A base image as the run found it on its engine: a stand-in, pulled, local or missing."""

    ref: str
    id: str | None = None  # None when it was missing
    source: str
    recipe: str = ""
    digests: tuple[str, ...] = ()
    layers: tuple[LayerDownload, ...] = ()  # empty when not measured (results before they were)


def download_size(layer_sets: Iterable[Iterable[LayerDownload]]) -> int:
    """What pulling all these bases costs: a layer two of them share is fetched once."""
    return sum(layer.size for layer in distinct_layers(layer_sets))


def distinct_layers(layer_sets: Iterable[Iterable[LayerDownload]]) -> list[LayerDownload]:
    """Each layer once, in the order first met."""
    return list({layer.diff_id: layer for layers in layer_sets for layer in layers}.values())


@dataclass(frozen=True)
class Environment:
    """What outside the example its result depends on; a change of any of it queues a new run."""

    engine_version: str | None = None
    api_version: str | None = None
    os: str | None = None
    arch: str | None = None
    runner_version: str = ""
    bases: tuple[BaseUsed, ...] = ()


@dataclass(frozen=True)
class VerificationReport:
    outcome: Outcome
    failure_reason: FailureReason
    detail: str
    checks: tuple[Check, ...] = ()
    builds: tuple[BuildResult, ...] = ()
    images: dict[str, ImageFacts] = field(default_factory=dict)
    analysis: dict[str, AnalysisSummary] = field(default_factory=dict)  # image name -> summary
    steps: tuple[StepReport, ...] = ()
    duration: float = 0.0
    engine: dict[str, str] = field(default_factory=dict)
    environment: Environment | None = None
    schema_version: int = UNVERSIONED
    commands: tuple[CommandResult, ...] = ()

    @classmethod
    def of_run(cls, result: ScenarioResult, environment: dict[str, Any]) -> VerificationReport:
        """What is stored of a run: all but its log and full layer details, which are kept apart."""
        return cls(
            outcome=result.outcome,
            failure_reason=result.failure_reason,
            detail=result.detail,
            checks=result.checks,
            builds=result.builds,
            images=result.images,
            analysis={name: from_json(AnalysisSummary, summary) for name, summary in result.analysis.items()},
            steps=result.steps,
            duration=result.duration,
            engine=result.engine,
            environment=from_json(Environment, environment),
            schema_version=SCHEMA_VERSION,
            commands=result.commands,
        )

    def engine_fact(self, name: str) -> str:
        """The engine's "version", "arch" or "os"; results older than `environment` have only `engine`."""
        kept = getattr(self.environment, "engine_version" if name == "version" else name, None)
        return kept or self.engine.get(name, "")

    def to_json(self) -> dict[str, Any]:
        return to_json(self)

    @classmethod
    def from_json(cls, data: Any) -> VerificationReport:
        """A stored result of any version; raises ContractError naming the field that does not fit."""
        return from_json(cls, data, "result")
