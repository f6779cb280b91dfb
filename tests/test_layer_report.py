"""The layer analysis and the builds as the page shows them, read from a stored result's typed report."""

import json
import re
from pathlib import Path

import pytest

from catalog.verifications.layer_report import build_rows, layer_report
from worker.contract.analysis import AnalysisSummary
from worker.contract.codec import ContractError, from_json
from worker.contract.report import VerificationReport

# Two images, each five layers (one of the base), nine waste edges and one lint finding.
STORED_V0 = Path(__file__).parent / "data" / "result-v0-image-layer-architecture.json"


def stored() -> dict:
    return json.loads(STORED_V0.read_text())


def test_a_stored_analysis_reads_as_the_page_rows():
    report = layer_report(VerificationReport.from_json(stored()).analysis["invoices"])
    assert report is not None and report.error == ""
    assert (report.reclaimable, report.reclaimable_text, report.efficiency_text) == (
        3384,
        "3.38 kB",
        "100.0 %",
    )
    assert (report.own_reclaimable_text, report.duplicate_text) == ("3.38 kB", "695 kB")
    base, groups = report.layers[:2]
    # A base layer has no instruction of this Dockerfile; its row says only what it holds.
    assert (base.index, base.instruction, base.base, base.content_text) == (0, "", True, "118 MB")
    assert base.changes == (("added", 6023, "118 MB"),)
    assert (groups.instruction.startswith("RUN groupadd"), groups.base, groups.reclaimable_text) == (
        True,
        False,
        "0 B",
    )
    # Kinds in the page's order, the ones with no change left out.
    assert groups.changes == (
        ("added", 4, "838 B"),
        ("modified", 8, "3.51 kB"),
        ("written again, unchanged", 1, "0 B"),
    )
    first = report.waste[0]
    assert (first.path, first.bytes_text, first.reason, first.written_by, first.hidden_by) == (
        "/etc/passwd",
        "839 B",
        "overwritten by a later layer",
        0,
        1,
    )
    assert len(report.waste) == 9
    [finding] = report.lint
    assert (finding.code, finding.level, finding.line, finding.wasted_text) == ("DL3066", "info", 16, "")
    assert finding.rule_url == "https://github.com/hadolint/hadolint/wiki/DL3066"
    assert report.lint_error == ""
    assert report.largest[0] == ("/usr/bin/python3.11", "6.83 MB")


def test_an_image_not_analysed_has_no_report_and_an_unreadable_one_only_its_error():
    assert layer_report(None) is None
    unreadable = layer_report(from_json(AnalysisSummary, {"error": "could not read the image archive: EOF"}))
    assert unreadable is not None and unreadable.error == "could not read the image archive: EOF"
    assert (unreadable.layers, unreadable.waste, unreadable.lint, unreadable.reclaimable_text) == (
        (),
        (),
        (),
        "",
    )


@pytest.mark.parametrize(
    ("lint", "shown"),
    [
        (None, ""),
        ({"available": True, "error": "", "findings": []}, ""),
        (
            {"available": False, "error": "hadolint is not installed", "findings": []},
            "hadolint is not installed",
        ),
        ({"available": False}, "lint did not run"),
    ],
)
def test_a_lint_that_did_not_run_says_why(lint, shown):
    summary = {"reclaimable_bytes": 0, "efficiency": 1, "lint": lint}
    report = layer_report(from_json(AnalysisSummary, summary))
    assert report is not None and (report.lint_error, report.lint, report.efficiency_text) == (
        shown,
        (),
        "100.0 %",
    )


def test_a_finding_that_costs_bytes_says_how_many():
    finding = {
        "code": "DL3009",
        "level": "info",
        "line": 6,
        "message": "Delete the apt-get lists",
        "wasted_bytes": 123_456,
    }
    summary = from_json(AnalysisSummary, {"lint": {"available": True, "findings": [finding]}})
    [row] = layer_report(summary).lint
    assert row.wasted_text == "123 kB"


def test_a_misspelt_or_mistyped_field_in_a_stored_analysis_is_named_instead_of_shown_as_a_dash():
    data = stored()
    layer = data["analysis"]["orders"]["layers"][2]
    layer["content_byte"] = layer.pop("content_bytes")
    with pytest.raises(
        ContractError, match=re.escape("result.analysis.orders.layers[2].content_bytes: missing")
    ):
        VerificationReport.from_json(data)
    data = stored()
    data["analysis"]["orders"]["edges"][0]["bytes"] = "839 B"
    with pytest.raises(
        ContractError, match=re.escape("result.analysis.orders.edges[0].bytes: expected an integer")
    ):
        VerificationReport.from_json(data)
    data = stored()
    del data["analysis"]["invoices"]["lint"]["findings"][0]["line"]
    with pytest.raises(
        ContractError, match=re.escape("result.analysis.invoices.lint.findings[0].line: missing")
    ):
        VerificationReport.from_json(data)


def test_each_build_is_a_row_with_the_steps_the_cache_served():
    rows = build_rows(VerificationReport.from_json(stored()))
    assert [(row.image, row.ok, row.duration_text, row.cached) for row in rows] == [
        ("orders", True, "1.3 s", 0),
        ("invoices", True, "0.4 s", 4),
        ("orders", True, "0.4 s", 4),
        ("orders", True, "0.9 s", 2),
    ]
    assert rows[1].steps[1] == (2, "ENV PYTHONPATH=/opt/lib PYTHONUNBUFFERED=1", True)
    assert (
        build_rows(
            VerificationReport.from_json({"outcome": "error", "failure_reason": "INFRA", "detail": ""})
        )
        == ()
    )
