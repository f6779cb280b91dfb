"""The durable job: one claim wins, writes are fenced on the attempt, expired leases come back."""

from datetime import timedelta

import pytest
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


def test_reaper_requeues_expired_rows_and_gives_up_at_the_cap(example):
    verification = queued(example)
    for number in range(1, 4):
        assert Verification.claim(verification.pk, f"worker-{number}") == number
        expire(verification)
        requeued = Verification.requeue_expired()
        verification.refresh_from_db()
        if number < 3:
            assert requeued == [verification.pk] and verification.state == "queued"
    assert requeued == []
    assert (verification.state, verification.failure_reason) == ("error", "INFRA")
    assert Verification.claim(verification.pk, "worker-4") is None


def test_release_after_an_infrastructure_fault_requeues_without_blame(example):
    verification = queued(example)
    attempt = Verification.claim(verification.pk, "worker-a")
    assert Verification.release(verification.pk, attempt, "engine went away")
    verification.refresh_from_db()
    assert (verification.state, verification.failure_reason) == ("queued", "")
    assert Verification.claim(verification.pk, "worker-b") == 2


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
