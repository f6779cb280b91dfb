"""A verification as the API gives it: the page's verification panel as data, from the same functions.

Each figure is taken from the stored result (worker/contract/report.py) by the functions the
page's panel uses (catalog/verifications/), so the page and the API cannot tell two stories.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Collection

from django.urls import reverse

from catalog.api import types as out
from catalog.models import Example, Verification
from catalog.verifications import comparison
from catalog.verifications.before_after import before_and_after
from catalog.verifications.result import (
    NO_RESULT,
    CheckRow,
    base_images,
    check_rows,
    headline,
    reason_label,
    status_of,
)
from worker.contract.analysis import AnalysisSummary
from worker.contract.reasons import FailureReason
from worker.contract.report import VerificationReport
from worker.contract.results import BuildResult, ImageFacts

Absolute = Callable[[str], str]  # a site path made into the URL a client can follow


def verification_data(
    verification: Verification | None,
    example: Example,
    absolute: Absolute,
    stored_layers: Collection[tuple[int, str]] = (),
) -> out.Verification | None:
    """`stored_layers`: (verification id, image name) of the full analyses kept, whose files have a URL."""
    if verification is None:
        return None
    report = verification.report or NO_RESULT
    rows = check_rows(report)
    failed = sum(not row.passed for row in rows)
    scenario = example.parsed_scenario
    sources = {image.name: image.dockerfile for image in scenario.images} if scenario else {}
    reason = verification.failure_reason
    return out.Verification(
        id=verification.pk,
        state=Verification.State(verification.state),
        status=status_of(verification),
        headline=headline(verification, rows, failed),
        failure_reason=FailureReason(reason),
        failure_label=reason_label(reason) if reason else "",
        detail=verification.detail,
        attempt=verification.attempt,
        queued_at=verification.queued_at,
        started_at=verification.started_at,
        finished_at=verification.finished_at,
        duration=verification.duration,
        current=verification.example_hash == example.content_hash,
        checks=report.checks,
        steps=report.steps,
        builds=tuple(build_data(build) for build in report.builds),
        images={
            name: image_data(
                facts,
                report.analysis.get(name),
                sources.get(name, ""),
                files_url(verification.pk, name, absolute)
                if (verification.pk, name) in stored_layers
                else None,
            )
            for name, facts in report.images.items()
        },
        comparisons=tuple(comparisons(example, report)),
        before_after=before_after(example, rows),
        bases=tuple(out.Base(**dataclasses.asdict(base)) for base in base_images(report.environment)),
        commands=report.commands,
        engine=report.engine,
        environment=report.environment,
        log_url=absolute(reverse("catalog:verification-log", args=[verification.pk])),
    )


FilesUrl = Callable[[int], str]  # a layer's index -> the URL of its file list


def files_url(pk: int, image: str, absolute: Absolute) -> FilesUrl:
    return lambda layer: absolute(reverse("catalog:api-v1-layer-files", args=[pk, image, layer]))


def image_data(
    facts: ImageFacts, summary: AnalysisSummary | None, dockerfile: str, files: FilesUrl | None
) -> out.Image:
    return out.Image(
        **fields_of(facts, ImageFacts),
        dockerfile=dockerfile,
        analysis=analysis_data(summary, files),
    )


def analysis_data(summary: AnalysisSummary | None, files: FilesUrl | None) -> out.Analysis | None:
    """`files` is None when the run's full analysis is not kept: then no layer's files can be read."""
    if summary is None:
        return None
    layers = tuple(
        out.Layer(
            **fields_of(layer, type(layer)),
            # The page links each layer that has files to its file list; so does the API.
            files_url=files(layer.index) if files is not None and layer.files else None,
        )
        for layer in summary.layers
    )
    return out.Analysis(**{**fields_of(summary, AnalysisSummary), "layers": layers})


def fields_of(value: object, kind: type) -> dict:
    """The fields of `kind` that `value` has, as keyword arguments (a contract type extended by the API)."""
    return {field.name: getattr(value, field.name) for field in dataclasses.fields(kind)}


def build_data(build: BuildResult) -> out.Build:
    return out.Build(
        image=build.image_name,
        image_id=build.image_id,
        ok=build.ok,
        duration=build.duration,
        steps=build.steps,
        cached_steps=sum(step.cached for step in build.steps),
        reason=build.reason,
        error=build.error,
        exit_code=build.exit_code,
        failed_instruction=build.failed_instruction,
    )


def comparisons(example: Example, report: VerificationReport) -> list[out.Comparison]:
    scenario = example.parsed_scenario
    if scenario is None:
        return []
    return [
        out.Comparison(
            left=found.left,
            right=found.right,
            left_measures=measures_data(found.left_measures),
            right_measures=measures_data(found.right_measures),
            rows=tuple(found.rows),
            differences=found.differences,
        )
        for found in comparison.compare_images(scenario, report)
    ]


def measures_data(measures: comparison.Measures) -> out.Measures:
    cached, steps = measures.cache if measures.cache else (None, None)
    return out.Measures(
        size=measures.size,
        own=measures.own,
        layers=measures.layers,
        reclaimable=measures.reclaimable,
        build_time=measures.build_time,
        cached_steps=cached,
        steps=steps,
        stop_time=measures.stop_time,
    )


def before_after(example: Example, rows: tuple[CheckRow, ...]) -> out.BeforeAfter | None:
    scenario = example.parsed_scenario
    sides = before_and_after(scenario, rows) if scenario else None
    if sides is None:
        return None
    before, after = (
        out.Side(
            heading=heading,
            images=images,
            checks=tuple(checks),
        )
        for heading, images, checks in sides.columns
    )
    return out.BeforeAfter(before=before, after=after, same_images=sides.same_images)
