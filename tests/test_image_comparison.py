"""The comparison of two images of an example, from a stored result."""

import dataclasses

from catalog.verifications.comparison import compare_images
from tests.verification_results import environment, image_facts
from worker.contract.analysis import AnalysisSummary
from worker.contract.report import VerificationReport
from worker.contract.results import BuildResult, BuildStepResult, ImageFacts, StepReport
from worker.scenario import Scenario


def scenario(steps=(), compare=()) -> Scenario:
    return Scenario.from_dict(
        {"title": "t", "summary": "s", "images": [], "steps": list(steps), "compare": list(compare)}
    )


SCENARIO = scenario(
    steps=[
        {"action": "run", "params": {"image": "fat", "name": "a", "detach": True}, "expect": {}},
        {"action": "stop", "params": {"container": "a"}, "expect": {}},
        {"action": "run", "params": {"image": "slim", "name": "b", "detach": True}, "expect": {}},
        {"action": "stop", "params": {"container": "b"}, "expect": {}},
    ],
    compare=[{"images": ["fat", "slim"], "expect": {"smaller": False}}],
)


def facts(name: str, size: int, own: int, layers: int) -> ImageFacts:
    return dataclasses.replace(image_facts(name), size=size, own_size=own, layers=layers)


def built(image: str, duration: float, cached: tuple[bool, ...]) -> BuildResult:
    steps = tuple(BuildStepResult(number, "RUN true", hit) for number, hit in enumerate(cached, 1))
    return BuildResult(image, "sha256:" + "ab" * 32, True, steps, "", "", None, duration)


def report(images, builds=(), steps=(), analysis=None) -> VerificationReport:
    """A result as the worker stores it, read back through the contract as the site reads it."""
    stored = VerificationReport(
        "passed",
        "",
        "",
        images={image.name: image for image in images},
        builds=tuple(builds),
        steps=tuple(steps),
        analysis=analysis or {},
    ).to_json()
    stored["environment"] = environment()
    return VerificationReport.from_json(stored)


RESULT = report(
    images=[facts("fat", 4_000_000, 3_000_000, 5), facts("slim", 1_000_000, 0, 3)],
    builds=[built("fat", 4.0, (False, True)), built("slim", 4.2, (True, True))],
    steps=[
        StepReport(1, "stop", "stop a", "passed", 3.1),
        StepReport(3, "stop", "stop b", "passed", 0.1),
    ],
    analysis={
        "fat": AnalysisSummary(reclaimable_bytes=2_000_000),
        "slim": AnalysisSummary(reclaimable_bytes=0),
    },
)


def test_rows_show_each_measure_its_change_and_the_better_side():
    [comparison] = compare_images(SCENARIO, RESULT)
    rows = {row.label: row for row in comparison.rows}
    assert (comparison.left, comparison.right) == ("fat", "slim")
    assert (rows["Image size"].change, rows["Image size"].better) == ("-75 %", "right")
    assert (rows["Layers"].change, rows["Layers"].better) == ("-2", "right")
    assert (rows["Reclaimable bytes"].change, rows["Reclaimable bytes"].better) == ("-100 %", "right")
    assert (rows["Stop time"].left, rows["Stop time"].right, rows["Stop time"].better) == (
        "3.1 s",
        "0.1 s",
        "right",
    )
    assert (rows["Steps from the cache"].left, rows["Steps from the cache"].better) == (
        "1 of 2 steps",
        "right",
    )
    assert rows["Build time"].change == ""  # 0.2 s apart: timing noise, shown as the same
    assert comparison.differences == 6


def test_without_compare_entries_two_images_are_compared_and_missing_figures_are_dashes():
    result = report(images=[facts("a", 10, 0, 1), facts("b", 10, 0, 1)])
    [comparison] = compare_images(scenario(), result)
    rows = {row.label: row for row in comparison.rows}
    assert rows["Image size"].change == "" and comparison.differences == 0
    assert "Stop time" not in rows and "Reclaimable bytes" not in rows


def test_an_image_whose_archive_could_not_be_read_has_a_dash_not_zero_reclaimable_bytes():
    result = report(
        images=[facts("a", 10, 0, 1), facts("b", 10, 0, 1)],
        analysis={"a": AnalysisSummary(reclaimable_bytes=5), "b": AnalysisSummary(error="unreadable")},
    )
    [comparison] = compare_images(scenario(), result)
    row = {row.label: row for row in comparison.rows}["Reclaimable bytes"]
    assert (row.left, row.right, row.change) == ("5 B", "-", "")


def test_a_single_image_has_no_comparison():
    assert compare_images(scenario(), report(images=[facts("a", 1, 0, 1)])) == []
