"""Verification results as the worker records them (the contract's VerificationReport), for page tests."""

from datetime import timedelta

from django.utils import timezone

from catalog.models import Example, Verification
from worker.contract.report import VerificationReport
from worker.contract.results import (
    BuildResult,
    BuildStepResult,
    Check,
    HistoryRow,
    ImageFacts,
    ScenarioResult,
    StepReport,
)

HOSTILE = "</pre><script>alert(1)</script>"
ENGINE = {"version": "20.10.24", "api_version": "1.41", "arch": "x86_64", "os": "linux"}
STAND_IN = {
    "ref": "busybox:1.35",
    "id": "sha256:" + "cf" * 32,
    "source": "stand-in",
    "recipe": "busybox-static",
    "digests": [],
}
PULLED = {
    "ref": "debian:bookworm-slim",
    "id": "sha256:" + "5c" * 32,
    "source": "pulled",
    "recipe": "",
    "digests": ["debian@sha256:" + "9d" * 32],
}


def image_facts(name: str = "app", instruction: str = "COPY hello.sh /hello.sh") -> ImageFacts:
    history = (
        HistoryRow(
            "/bin/sh -c #(nop) ADD file:0b1 in / ", "ADD file:0b1 in /", 1_990_000, 1_700_000_000, base=True
        ),
        HistoryRow('/bin/sh -c #(nop)  CMD ["sh"]', 'CMD ["sh"]', 0, 1_700_000_001, base=True),
        HistoryRow(f"/bin/sh -c #(nop) {instruction}", instruction, 396, 1_700_000_500),
        HistoryRow(
            '/bin/sh -c #(nop)  ENTRYPOINT ["/hello.sh"]', 'ENTRYPOINT ["/hello.sh"]', 0, 1_700_000_501
        ),
    )
    return ImageFacts(
        name=name,
        id="sha256:" + "ab" * 32,
        tag=f"catalog-test/{name}",
        size=1_990_396,
        layers=2,
        history=history,
        base_ref="busybox:1.35",
        base_id=STAND_IN["id"],
        base_size=1_990_000,
        own_size=396,
        base_matched=True,
        user="65534",
    )


def build(ok: bool = True) -> BuildResult:
    steps = (
        BuildStepResult(1, "FROM busybox:1.35", False),
        BuildStepResult(2, "COPY hello.sh /hello.sh", True),
        BuildStepResult(3, "RUN test -f /missing", False),
    )
    return BuildResult(
        image_name="app",
        image_id="sha256:" + "ab" * 32 if ok else "",
        ok=ok,
        steps=steps if not ok else steps[:2],
        log="Step 1/3 : FROM busybox:1.35\n",
        error="" if ok else "The command '/bin/sh -c test -f /missing' returned a non-zero code: 1",
        exit_code=None if ok else 1,
        duration=0.8,
        reason="" if ok else "BUILD_FAILED",
        failed_instruction="" if ok else "RUN test -f /missing",
    )


def passed_result(
    checks: tuple[Check, ...] | None = None, instruction: str = "COPY hello.sh /hello.sh"
) -> dict:
    checks = checks or (
        Check(0, "run", "exit_code", "= 0", "0", True),
        Check(
            0, "run", "output_contains", 'contains "hello"', 'found in line "hello from the example"', True
        ),
        Check(1, "image", "size_max", "<= 3 MB", "1.99 MB", True),
    )
    outcome = "passed" if all(check.passed for check in checks) else "failed"
    result = ScenarioResult(
        outcome=outcome,
        failure_reason="" if outcome == "passed" else "CHECK_FAILED",
        detail="all 3 checks passed",
        checks=checks,
        builds=(build(),),
        images={"app": image_facts(instruction=instruction)},
        steps=(
            StepReport(0, "run", "run app", "passed", 0.4, output="hello from the example\n"),
            StepReport(
                1, "image", "image app", "passed" if outcome == "passed" else "failed", 0.1, output="1.99 MB"
            ),
        ),
        log="engine 20.10.24 (API 1.41, linux/x86_64), trust curated\n",
        duration=4.2,
        engine=ENGINE,
    )
    return stored(result)


def build_failed_result() -> dict:
    result = ScenarioResult(
        outcome="failed",
        failure_reason="BUILD_FAILED",
        detail="step 1 (build app): RUN test -f /missing returned 1",
        builds=(build(ok=False),),
        steps=(
            StepReport(0, "run", "run app", "error", 0.9, detail="the build failed"),
            StepReport(1, "image", "image app", "not run"),
        ),
        log="ERROR: The command returned a non-zero code: 1\n",
        duration=1.1,
        engine=ENGINE,
    )
    return stored(result)


def stored(result: ScenarioResult) -> dict:
    """The result as the worker stores it (worker/tasks.py): the contract's report, without the log."""
    return VerificationReport.of_run(result, environment()).to_json()


def environment() -> dict:
    return {
        "engine_version": "20.10.24",
        "api_version": "1.41",
        "os": "linux",
        "arch": "x86_64",
        "runner_version": "1",
        "bases": [STAND_IN, PULLED],
    }


def finished(
    example: Example, state: str, result: dict | None, minutes_ago: float = 3, **fields
) -> Verification:
    now = timezone.now()
    values = {
        "example_hash": example.content_hash,
        "state": state,
        "attempt": 1,
        "queued_at": now - timedelta(minutes=minutes_ago, seconds=10),
        "started_at": now - timedelta(minutes=minutes_ago, seconds=5),
        "finished_at": now - timedelta(minutes=minutes_ago),
        "duration": (result or {}).get("duration"),
        "result": result,
        "failure_reason": (result or {}).get("failure_reason", ""),
        "detail": (result or {}).get("detail", ""),
    }
    values.update(fields)
    return Verification.objects.create(example=example, **values)


def running(example: Example, log: str = "") -> tuple[Verification, int]:
    verification = Verification.objects.create(example=example, example_hash=example.content_hash)
    attempt = Verification.claim(verification.pk, "test-worker")
    assert Verification.mark_running(verification.pk, attempt)
    if log:
        assert Verification.append_log(verification.pk, attempt, log)
    verification.refresh_from_db()
    return verification, attempt
