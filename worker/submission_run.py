"""One sandbox run of a submission: every example and its mutant, untrusted, on the sandboxed engine only.

Celery and Django glue, called by worker/submission_tasks.py. The engine is the one at
SANDBOX_DOCKER_HOST, checked to run gVisor without a network before anything is claimed: when it
is not ready the run waits with the reason, and it never falls back to the main engine. Each
example runs with trust "untrusted" (worker/policy.py) and is judged like a curated one; its
mutant must then fail the example's checks, or the submission's checks do not test its pattern.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import docker
from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from catalog.content.sources import ExampleSource
from catalog.serving import page_cache
from catalog.submissions.drafts import files_of, patterns_dir
from catalog.submissions.folder import check_folder, compose_readme, folder_digest
from catalog.submissions.models import Submission, SubmissionRun
from catalog.trial import judge_mutant
from worker.contract import labels
from worker.contract.report import VerificationReport
from worker.contract.results import ScenarioResult
from worker.engine.client import EngineUnavailable
from worker.engine.environment import environment_fingerprint
from worker.images.build_context import context_files
from worker.images.builder import try_remove_images
from worker.progress import LeaseLost, Progress
from worker.runner import run_scenario
from worker.sandbox_engine import sandbox_client, sandbox_status
from worker.scenario import Scenario
from worker.tasks import worker_name

log = logging.getLogger(__name__)
OWNER = "sandbox"  # the owner label of everything a submission's run makes (the sandbox's reaper selects it)


def verify_run(run_id: int) -> str:
    """Claim and run one submission run on the sandboxed engine; what happened, in a few words."""
    status = sandbox_status(settings.SANDBOX_DOCKER_HOST)
    if not status.ready:
        return wait(run_id, status.problem)
    try:
        client = sandbox_client(settings.SANDBOX_DOCKER_HOST)
    except EngineUnavailable as error:
        return wait(run_id, f"The sandboxed engine does not answer: {error}")
    try:
        attempt = SubmissionRun.claim(run_id, worker_name())
        if attempt is None:
            return "not claimed: finished, or running elsewhere"
        page_cache.bump_generation()
        try:
            return run_claimed(client, run_id, attempt, status.runtime)
        except EngineUnavailable as error:
            SubmissionRun.wait(
                run_id, f"The sandboxed engine failed during the run: {error}", attempt=attempt
            )
            return "waiting"
    finally:
        client.close()


def wait(run_id: int, why: str) -> str:
    log.warning("submission run %s waits: %s", run_id, why)
    return f"waiting: {why}" if SubmissionRun.wait(run_id, why) else "not waiting: not queued any more"


def run_claimed(client: docker.DockerClient, run_id: int, attempt: int, runtime: str) -> str:
    run = SubmissionRun.objects.select_related("submission").get(pk=run_id)
    submission = run.submission
    readme, _ = compose_readme(submission.fields, submission.body)
    files = files_of(submission)
    if folder_digest(readme, files) != run.digest:
        return finish(run, attempt, False, "The files changed after they were submitted; submit again.", [])
    checked = check_folder(patterns_dir(), submission.slug, readme, files)
    if checked.source is None:
        problems = "; ".join(f"{p.file} {p.field}: {p.message}" for p in checked.problems[:5])
        return finish(run, attempt, False, f"The folder no longer loads: {problems}", [])
    progress = Progress(run_id, attempt, rows=SubmissionRun, lease_seconds=settings.SUBMISSION_LEASE_SECONDS)
    results: list[dict] = []
    examples = checked.source.examples
    try:
        progress.add(f"sandboxed engine {settings.SANDBOX_DOCKER_HOST}: runtime {runtime}, no network")
        for number, example in enumerate(examples, 1):
            SubmissionRun.heartbeat(
                run_id, attempt, progress=f"example {number} of {len(examples)}: {example.slug}"
            )
            progress.add(f"== example {number} of {len(examples)}: {example.slug}")
            results.append(run_example(client, run, attempt, example, progress.add))
    except LeaseLost:
        return "superseded: a newer attempt owns the run"
    except SoftTimeLimitExceeded:
        limit = settings.VERIFY_SOFT_TIME_LIMIT
        return finish(
            run, attempt, False, f"The run took longer than the sandbox's {limit} s and was stopped.", results
        )
    finally:
        progress.stop()
    failed = [result["example"] for result in results if not result["passed"]]
    detail = (
        f"Every example passed its checks in the sandbox and every mutant failed them ({len(results)})."
        if not failed
        else f"Not proven: {', '.join(failed)}; see each example's result."
    )
    return finish(run, attempt, not failed, detail, results)


def run_labels(run: SubmissionRun, attempt: int, example: str) -> dict[str, str]:
    return {
        **settings.VERIFY_EXTRA_LABELS,  # the suite's own labels, as curated runs carry them
        labels.OWNER: OWNER,
        labels.INSTANCE: settings.CATALOG_INSTANCE,
        labels.VERIFICATION: str(run.pk),
        labels.ATTEMPT: str(attempt),
        labels.EXAMPLE: f"submission-{run.submission_id}/{example}",
    }


def run_example(
    client: docker.DockerClient, run: SubmissionRun, attempt: int, example: ExampleSource, emit: Callable
) -> dict:
    """The example, then its mutant, each untrusted; its result as the run's results keep it."""
    scenario = Scenario.from_dict(example.scenario)
    files = context_files(example.files)
    _, environment = environment_fingerprint(client, scenario, files)
    result = untrusted_run(client, run, attempt, example.slug, scenario, files, emit, analyse=True)
    entry = {
        "example": example.slug,
        "title": example.title,
        "outcome": result.outcome,
        "reason": result.failure_reason,
        "detail": result.detail,
        "duration": round(result.duration, 2),
        "report": VerificationReport.of_run(result, environment).to_json(),
        "mutant": None,
    }
    if example.mutant is None:
        entry["passed"] = result.outcome == "passed"
        return entry
    emit(f"== mutant of {example.slug}: {example.mutant.undoes}")
    mutant = untrusted_run(
        client,
        run,
        attempt,
        example.slug,
        Scenario.from_dict(example.mutant.scenario or example.scenario),
        context_files(example.mutant.files),
        emit,
        analyse=False,
    )
    verdict = judge_mutant(mutant)
    emit(f"mutant {'caught' if verdict.killed else 'not caught'}: {verdict.why}")
    entry["mutant"] = {
        "undoes": example.mutant.undoes,
        "changed": list(example.mutant.changed),
        "killed": verdict.killed,
        "why": verdict.why,
        "outcome": mutant.outcome,
        "reason": mutant.failure_reason,
        "duration": round(mutant.duration, 2),
    }
    entry["passed"] = result.outcome == "passed" and verdict.killed
    return entry


def untrusted_run(
    client, run, attempt, example: str, scenario, files, emit, *, analyse: bool
) -> ScenarioResult:
    """One scenario with trust "untrusted", its images removed before it returns (facts kept)."""
    run_only = run_labels(run, attempt, example)
    try:
        return run_scenario(
            client,
            scenario,
            files,
            run_only,
            trust="untrusted",
            on_event=emit,
            analyse=analyse,
            base_cache=Path(settings.VAR_DIR) / "sandbox-base-configs",
        )
    finally:
        images = {key: value for key, value in run_only.items() if key not in labels.RUN_ONLY}
        left = try_remove_images(client, images)
        if left:
            log.warning("submission run %s: %s", run.pk, left)


def finish(run: SubmissionRun, attempt: int, passed: bool, detail: str, results: list) -> str:
    """The run's end and the submission's next label: awaiting review, or the author's turn."""
    with transaction.atomic():
        if not SubmissionRun.finish(run.pk, attempt, passed=passed, detail=detail, results=results):
            return "superseded: a newer attempt owns the run"
        state = Submission.State.AWAITING_REVIEW if passed else Submission.State.AWAITING_AUTHOR
        Submission.objects.filter(pk=run.submission_id, state=Submission.State.VERIFYING).update(
            state=state, updated_at=timezone.now()
        )
    page_cache.bump_generation()
    log.info(
        "submission run %s attempt %s: %s (%s)", run.pk, attempt, "passed" if passed else "failed", detail
    )
    return "passed" if passed else "failed"


def requeue_stale_runs() -> list[int]:
    """Runs whose worker stopped beating go back to the queue (the caller sends them again)."""
    older = timezone.now() - timedelta(seconds=settings.SUBMISSION_LEASE_SECONDS)
    return SubmissionRun.requeue_stale(older)
