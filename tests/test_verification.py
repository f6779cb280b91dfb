"""The durable job: one claim wins, writes are fenced on the attempt, faults wait and come back."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps as django_apps
from django.db import IntegrityError, transaction
from django.utils import timezone

from catalog.content.importer import sync_patterns
from catalog.models import Example, Verification
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def example(tmp_path):
    factories.write_tree(tmp_path, count=2)
    sync_patterns(tmp_path)
    return Example.objects.order_by("pk").first()


def queued(example) -> Verification:
    return Verification.objects.create(example=example, example_hash=example.content_hash)


def expire(verification: Verification) -> None:
    Verification.objects.filter(pk=verification.pk).update(
        lease_expires_at=timezone.now() - timedelta(seconds=1)
    )


def test_only_one_claim_wins(example):
    verification = queued(example)
    assert Verification.claim(verification.pk, "worker-a") == 1
    assert Verification.claim(verification.pk, "worker-b") is None
    verification.refresh_from_db()
    assert (verification.state, verification.lease_owner, verification.attempt) == ("building", "worker-a", 1)
    assert verification.lease_expires_at > timezone.now()


def test_a_finished_row_cannot_be_claimed_again(example):
    verification = queued(example)
    attempt = Verification.claim(verification.pk, "worker-a")
    assert Verification.finish(verification.pk, attempt, state="passed")
    assert Verification.claim(verification.pk, "worker-b") is None


def test_an_expired_lease_is_taken_over_and_the_stale_worker_is_fenced_out(example):
    verification = queued(example)
    first = Verification.claim(verification.pk, "worker-a")
    expire(verification)
    second = Verification.claim(verification.pk, "worker-b")
    assert (first, second) == (1, 2)
    # The first worker wakes up: every write it tries is refused.
    assert not Verification.heartbeat(verification.pk, first)
    assert not Verification.append_log(verification.pk, first, "late line\n")
    assert not Verification.finish(verification.pk, first, state="failed", reason="CHECK_FAILED")
    assert Verification.finish(verification.pk, second, state="passed")
    verification.refresh_from_db()
    assert (verification.state, verification.attempt, verification.log) == ("passed", 2, "")


def test_heartbeat_extends_the_lease(example):
    verification = queued(example)
    attempt = Verification.claim(verification.pk, "worker-a")
    expire(verification)
    assert Verification.heartbeat(verification.pk, attempt)
    verification.refresh_from_db()
    assert verification.lease_expires_at > timezone.now()
    assert Verification.claim(verification.pk, "worker-b") is None


def test_an_expired_lease_waits_and_is_never_made_final(example, settings):
    settings.VERIFY_RETRY_SECONDS, settings.VERIFY_RETRY_MAX_SECONDS = 10, 40
    verification = queued(example)
    delays = []
    for number in range(1, 6):  # past any cap an attempt counter could have
        assert Verification.claim(verification.pk, f"worker-{number}") == number
        expire(verification)
        assert Verification.requeue_expired() == [verification.pk]
        verification.refresh_from_db()
        assert (verification.state, verification.failure_reason, verification.waits) == (
            "waiting",
            "",
            number,
        )
        assert "worker stopped answering" in verification.detail
        delays.append(round((verification.retry_at - timezone.now()).total_seconds()))
        assert Verification.wake(due_only=False) == [verification.pk]
    assert delays == [10, 20, 40, 40, 40]  # doubling, then capped
    verification.refresh_from_db()
    assert verification.state == "queued" and verification.finished_at is None


def test_a_waiting_row_is_woken_only_when_its_back_off_ran_out(example, settings):
    settings.VERIFY_RETRY_SECONDS = 60
    verification = queued(example)
    attempt = Verification.claim(verification.pk, "worker-a")
    assert Verification.release(verification.pk, attempt, "base image busybox:1.35 is not on this engine")
    assert Verification.claim(verification.pk, "worker-b") is None  # waiting rows are not claimed
    assert Verification.wake() == []
    Verification.objects.filter(pk=verification.pk).update(retry_at=timezone.now() - timedelta(seconds=1))
    assert Verification.wake() == [verification.pk]
    assert Verification.wake() == []  # already queued: woken once
    assert Verification.claim(verification.pk, "worker-b") == 2


def test_release_after_an_infrastructure_fault_waits_without_blame(example):
    verification = queued(example)
    attempt = Verification.claim(verification.pk, "worker-a")
    before = timezone.now()
    assert Verification.release(verification.pk, attempt, "engine went away")
    verification.refresh_from_db()
    assert (verification.state, verification.failure_reason, verification.detail) == (
        "waiting",
        "",
        "engine went away",
    )
    assert verification.waiting_since >= before - timedelta(seconds=1)
    first_wait = verification.waiting_since
    # A stale worker's release is fenced out; a second fault keeps the first "since".
    assert not Verification.release(verification.pk, attempt + 1, "not mine")
    Verification.wake(due_only=False)
    second = Verification.claim(verification.pk, "worker-b")
    assert Verification.release(verification.pk, second, "engine went away again")
    verification.refresh_from_db()
    assert (verification.waits, verification.waiting_since) == (2, first_wait)
    Verification.wake(due_only=False)
    third = Verification.claim(verification.pk, "worker-c")
    assert Verification.finish(verification.pk, third, state="passed")
    verification.refresh_from_db()
    assert (verification.state, verification.waits, verification.waiting_since, verification.retry_at) == (
        "passed",
        0,
        None,
        None,
    )


def test_an_unclaimed_row_waits_for_the_engine(example):
    verification = queued(example)
    assert Verification.wait(verification.pk, "Waiting for the Docker engine: refused")
    verification.refresh_from_db()
    assert (verification.state, verification.attempt, verification.waits) == ("waiting", 0, 1)
    assert Verification.finish(verification.pk, 0, state="passed") is False  # nothing claimed it


def test_old_infrastructure_errors_become_waiting_rows(example):
    migration = importlib.import_module("catalog.migrations.0007_verification_waits")
    older = Verification.objects.create(
        example=example, example_hash="a", state="error", failure_reason="INFRA"
    )
    newest = Verification.objects.create(
        example=example, example_hash="b", state="error", failure_reason="INFRA", detail="engine gone"
    )
    other = Example.objects.exclude(pk=example.pk).get()
    failed = Verification.objects.create(
        example=other, example_hash="c", state="failed", failure_reason="OOM"
    )
    migration.infra_errors_wait(django_apps, None)
    states = dict(Verification.objects.values_list("pk", "state"))
    assert states == {older.pk: "error", newest.pk: "waiting", failed.pk: "failed"}
    newest.refresh_from_db()
    assert newest.failure_reason == "" and "engine gone" in newest.detail and newest.retry_at is not None


def test_one_active_verification_per_example(example):
    queued(example)
    with pytest.raises(IntegrityError), transaction.atomic():
        queued(example)


def test_log_is_appended_and_bounded(example):
    verification = queued(example)
    attempt = Verification.claim(verification.pk, "worker-a")
    Verification.append_log(verification.pk, attempt, "step 1\n")
    Verification.append_log(verification.pk, attempt, "x" * 300_000)
    verification.refresh_from_db()
    assert len(verification.log) == 256 * 1024 and verification.log.endswith("x")
