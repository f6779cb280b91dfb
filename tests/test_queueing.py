"""Asking for verifications: one live row per example, the wake-up sent only after the commit."""

import pytest

from catalog.content.importer import sync_patterns
from catalog.models import Example, Verification
from catalog.verifications.queueing import queue_unverified
from tests import factories
from tests.verification_pages import drain_verify_queue

pytestmark = pytest.mark.django_db


def test_every_example_never_verified_is_queued_once(
    tmp_path, memory_broker, django_capture_on_commit_callbacks
):
    factories.write_tree(tmp_path, count=3)
    assert sync_patterns(tmp_path).ok
    verified = Example.objects.get(pattern__slug="pattern-0")
    Verification.objects.create(example=verified, example_hash=verified.content_hash, state="passed")
    with django_capture_on_commit_callbacks(execute=True):
        assert queue_unverified() == 2
        assert drain_verify_queue() == []  # nothing is sent before the commit
    rows = Verification.objects.filter(state="queued")
    assert sorted(drain_verify_queue()) == sorted(("catalog.verify", [row.pk]) for row in rows)
    assert {row.example.pattern.slug for row in rows} == {"pattern-1", "pattern-2"}
    assert queue_unverified() == 0  # each has a row now
