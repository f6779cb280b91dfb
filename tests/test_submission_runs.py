"""A submitted draft is verified in the sandbox, and only there: its examples and their mutants run untrusted
on the gVisor engine, the contributor follows the run and reads its results, and without the sandbox it waits.
"""

import os
from datetime import timedelta

import pytest
from celery import current_app
from django.contrib.auth import get_user_model
from django.test import Client
from django.utils import timezone

from catalog.submissions.drafts import DraftRefused, check_and_keep, start_draft
from catalog.submissions.models import Submission, SubmissionFile, SubmissionRun
from catalog.submissions.submit import VERIFY_SUBMISSION_TASK, submit
from tests import factories
from tests.conftest import LABELS
from worker.contract import labels
from worker.engine.client import label_filters
from worker.submission_run import OWNER, verify_run
from worker.submission_tasks import wake_submission_runs

pytestmark = pytest.mark.django_db


@pytest.fixture
def author():
    return get_user_model().objects.create_user("grace", password="a long passphrase of words")


def draft(author, *, mutant_script: str = factories.GOODBYE, slug: str = "init-first") -> Submission:
    """A new pattern with one example (busybox says hello) and its mutant, checked clean."""
    submission = Submission.objects.create(
        author=author,
        kind="new",
        slug=slug,
        fields=factories.typed_readme(slug, symbol="If"),
        body=factories.body(),
    )
    files = factories.draft_example(mutant_script=mutant_script)
    for path, (content, executable) in files.items():
        SubmissionFile.objects.create(
            submission=submission, path=path, content=content, executable=executable
        )
    assert not check_and_keep(submission).problems, submission.problems
    return submission


@pytest.fixture
def sandbox_labels(sandbox_client, settings):
    """The suite's labels on what the runs make; nothing may carry them afterwards on either engine."""
    settings.VERIFY_EXTRA_LABELS = dict(LABELS)
    yield
    selector = label_filters({labels.OWNER: OWNER, **LABELS})
    left = [f"container {c.name}" for c in sandbox_client.containers.list(all=True, filters=selector)]
    left += [f"image {i.short_id}" for i in sandbox_client.images.list(filters=selector)]
    left += [f"volume {v.name}" for v in sandbox_client.volumes.list(filters=selector)]
    left += [f"network {n.name}" for n in sandbox_client.networks.list(filters=selector)]
    assert not left, f"the sandbox run left {left}"


def test_a_draft_with_problems_or_no_example_is_not_submitted(patterns_tree, author):
    empty = start_draft(author, "new", "init-first")
    with pytest.raises(DraftRefused, match="to fix first"):
        submit(empty)
    assert not SubmissionRun.objects.exists()
    assert Submission.objects.get(pk=empty.pk).state == Submission.State.DRAFT


def test_submitting_sends_the_run_to_the_sandbox_queue_only(patterns_tree, author):
    submission = draft(author)
    run = submit(submission)
    assert (submission.state, run.state) == (Submission.State.VERIFYING, SubmissionRun.State.QUEUED)
    assert submission.submitted_at is not None
    assert current_app.amqp.router.route({}, VERIFY_SUBMISSION_TASK)["queue"].name == "sandbox"
    with pytest.raises(DraftRefused, match="cannot be submitted now"):
        submit(submission)  # a second click


def test_an_account_over_its_hourly_quotas_is_told_when_it_may_try_again(patterns_tree, author, settings):
    settings.SUBMISSION_RUNS_PER_HOUR = 1
    submission = draft(author)
    submit(submission)
    Submission.objects.filter(pk=submission.pk).update(state=Submission.State.AWAITING_AUTHOR)
    submission.refresh_from_db()
    with pytest.raises(DraftRefused, match=r"a verification once in the last hour.*try again at"):
        submit(submission)
    assert submission.runs.count() == 1
    # An hour later the quota is free again.
    SubmissionRun.objects.update(queued_at=timezone.now() - timedelta(hours=1, seconds=1))
    submit(submission)
    settings.SUBMISSIONS_PER_HOUR = 1  # one draft was started this hour: the next waits
    with pytest.raises(DraftRefused, match="started a draft once in the last hour"):
        start_draft(author, "new", "another-one")


def test_without_the_sandbox_a_submission_waits_and_never_runs_on_the_main_engine(
    patterns_tree, author, settings, docker_client
):
    run = submit(draft(author))
    settings.SANDBOX_DOCKER_HOST = "unix:///nonexistent/sandbox/docker.sock"
    assert verify_run(run.pk).startswith("waiting")
    run.refresh_from_db()
    assert run.state == SubmissionRun.State.WAITING
    assert "The sandboxed engine is missing" in run.detail
    # The main engine answers and runs runc: it is refused as a sandbox, for the same reason the page gives.
    settings.SANDBOX_DOCKER_HOST = os.environ.get("DOCKER_HOST", "unix:///var/run/docker.sock")
    assert verify_run(run.pk).startswith("waiting")
    run.refresh_from_db()
    assert run.state == SubmissionRun.State.WAITING and "not gVisor's runsc" in run.detail, run.detail
    made = label_filters({labels.OWNER: OWNER, labels.VERIFICATION: str(run.pk)})
    assert not docker_client.containers.list(all=True, filters=made)
    assert not docker_client.images.list(filters=made)
    # The page says why it waits.
    browser = Client()
    browser.force_login(author)
    page = browser.get(f"/contribute/{run.submission_id}/").content.decode()
    assert "Waiting for the sandbox" in page and "never runs anywhere else" in page


@pytest.mark.django_db(transaction=True)  # the run's heartbeat thread has its own connection
def test_a_submission_is_proven_in_the_sandbox_and_goes_to_review(patterns_tree, author, sandbox_labels):
    run = submit(draft(author))
    assert verify_run(run.pk) == "passed"
    run.refresh_from_db()
    submission = run.submission
    assert (run.state, submission.state) == (SubmissionRun.State.PASSED, Submission.State.AWAITING_REVIEW)
    [result] = run.results
    assert (result["example"], result["outcome"], result["passed"]) == ("hello", "passed", True)
    checks = result["report"]["checks"]
    assert checks and all(check["passed"] for check in checks)
    assert result["report"]["images"]["app"]["size"] > 0
    assert result["mutant"]["killed"] and "caught by" in result["mutant"]["why"]
    assert "runtime runsc, no network" in run.log and "trust untrusted" in run.log
    browser = Client()
    browser.force_login(author)
    page = browser.get(f"/contribute/{submission.pk}/").content.decode()
    assert "examples/hello/</code>: proven" in page and "caught, the checks test the pattern" in page
    live = browser.get(f"/contribute/{submission.pk}/runs/{run.pk}/log").json()
    assert (live["state"], live["finished"]) == ("passed", True) and "== example 1 of 1" in live["text"]
    stranger = Client()
    stranger.force_login(get_user_model().objects.create_user("mallory", password="another long passphrase"))
    assert stranger.get(f"/contribute/{submission.pk}/runs/{run.pk}/log").status_code == 404


@pytest.mark.django_db(transaction=True)  # the run's heartbeat thread has its own connection
def test_a_mutant_the_checks_miss_sends_it_back_to_its_author(patterns_tree, author, sandbox_labels):
    run = submit(draft(author, mutant_script="#!/bin/sh\necho hello, undone\n"))
    assert verify_run(run.pk) == "failed"
    run.refresh_from_db()
    assert run.submission.state == Submission.State.AWAITING_AUTHOR
    assert run.submission.editable
    [result] = run.results
    assert result["outcome"] == "passed" and not result["mutant"]["killed"]
    assert "survived" in result["mutant"]["why"] and "Not proven: hello" in run.detail


@pytest.mark.django_db(transaction=True)  # the beat task closes old connections as in a worker
def test_a_run_whose_worker_died_is_queued_again(patterns_tree, author, settings):
    run = submit(draft(author))
    assert SubmissionRun.claim(run.pk, "gone:1") == 1
    SubmissionRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now() - timedelta(hours=1))
    settings.SANDBOX_DOCKER_HOST = "unix:///nonexistent/sandbox/docker.sock"
    assert wake_submission_runs()["requeued"] == 1
    run.refresh_from_db()
    assert run.state == SubmissionRun.State.QUEUED and "stopped answering" in run.detail
    # Its next claim is a new attempt: the dead worker's writes are fenced out.
    assert SubmissionRun.claim(run.pk, "alive:2") == 2
    assert not SubmissionRun.append_log(run.pk, 1, "from the dead worker\n")
    # A run waiting for a missing sandbox is not sent again: its queue would only fill up.
    SubmissionRun.objects.filter(pk=run.pk).update(state=SubmissionRun.State.WAITING)
    assert wake_submission_runs()["woken"] == 0
