"""The worker/site contract: stored results of every version read back typed, and bad data named."""

import dataclasses
import json
import subprocess
import sys
from pathlib import Path

import pytest

from worker.contract.codec import ContractError, from_json, to_json
from worker.contract.reasons import FailureReason, Outcome
from worker.contract.report import SCHEMA_VERSION, UNVERSIONED, VerificationReport
from worker.contract.results import ScenarioResult

# A result as a verified catalog stored it before results had a version: two images, lint
# findings, duplicates, an environment with its bases.
STORED_V0 = Path(__file__).parent / "data" / "result-v0-image-layer-architecture.json"


def keys_of(data, path=""):
    """Every key path in nested JSON, list items merged, so 'nothing dropped' can be compared."""
    if isinstance(data, dict):
        found = set()
        for key, value in data.items():
            found |= {f"{path}.{key}"} | keys_of(value, f"{path}.{key}")
        return found
    if isinstance(data, list):
        return set().union(*(keys_of(item, f"{path}[]") for item in data)) if data else set()
    return set()


def test_a_result_stored_before_versions_reads_typed_and_loses_nothing():
    stored = json.loads(STORED_V0.read_text())
    report = VerificationReport.from_json(stored)
    assert report.schema_version == UNVERSIONED
    assert report.outcome is Outcome.PASSED and report.failure_reason is FailureReason.NONE
    assert set(report.images) == {"invoices", "orders"}
    app = next(iter(report.analysis.values()))
    assert app.layers and app.layers[0].totals and app.lint is not None
    assert report.environment is not None and report.environment.bases
    written = to_json(report)
    assert keys_of(stored) <= keys_of(written), keys_of(stored) - keys_of(written)
    assert VerificationReport.from_json(written) == report


def test_a_misspelt_or_mistyped_field_is_named():
    stored = json.loads(STORED_V0.read_text())
    name = next(iter(stored["images"]))
    stored["images"][name]["size"] = "12 MB"
    with pytest.raises(ContractError, match=rf"result\.images\.{name}\.size: expected an integer"):
        VerificationReport.from_json(stored)
    del stored["outcome"]
    with pytest.raises(ContractError, match=r"result\.outcome: missing"):
        VerificationReport.from_json(stored)


def test_an_unknown_failure_reason_is_refused_where_it_is_read_and_where_it_is_made():
    with pytest.raises(ContractError, match="failure_reason: 'NO_SUCH' is not one of"):
        from_json(VerificationReport, {"outcome": "failed", "failure_reason": "NO_SUCH", "detail": ""})
    with pytest.raises(ValueError):
        ScenarioResult(outcome="failed", failure_reason="NO_SUCH", detail="")


def test_a_run_is_stored_with_the_current_version():
    stored = VerificationReport.from_json(json.loads(STORED_V0.read_text()))
    run = ScenarioResult(
        outcome="passed",
        failure_reason="",
        detail=stored.detail,
        checks=stored.checks,
        builds=stored.builds,
        images=stored.images,
        analysis={name: to_json(summary) for name, summary in stored.analysis.items()},
        steps=stored.steps,
        duration=stored.duration,
        engine=stored.engine,
    )
    report = VerificationReport.of_run(run, to_json(stored.environment))
    assert report.schema_version == SCHEMA_VERSION
    assert dataclasses.replace(report, schema_version=UNVERSIONED) == stored
    assert json.loads(json.dumps(report.to_json()))["schema_version"] == SCHEMA_VERSION


def test_the_site_makes_its_reason_choices_from_the_contract(db):
    from catalog.models import Verification

    assert [(value, label) for value, label in Verification.Reason.choices] == [
        (reason.value, reason.label) for reason in FailureReason
    ]


def test_the_contract_imports_nothing_from_django():
    code = (
        "import sys, worker.contract.report, worker.contract.labels, worker.contract.engine; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('django', 'catalog', 'celery')))"
    )
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"


def test_a_verification_reads_its_result_once_and_typed(db, example):
    from catalog.verifications.verify_report import image_sizes
    from tests.verification_results import finished, passed_result

    verification = finished(example, "passed", passed_result())
    assert verification.report is verification.report  # parsed once
    assert verification.report.images["app"].size > 0
    assert image_sizes(verification).startswith("app ")
    never_ran = finished(example, "cancelled", None)
    assert never_ran.report is None and image_sizes(never_ran) == "-"
