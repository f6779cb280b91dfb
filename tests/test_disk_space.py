"""A nearly full engine disk makes verifications wait, unclaimed and unblamed, instead of failing them."""

import pytest

from catalog.content.importer import sync_patterns
from catalog.models import Example, Verification
from tests import factories
from worker.engine.disk_space import EngineLowOnDisk, engine_free_bytes, ensure_free_space
from worker.tasks import verify_example

pytestmark = pytest.mark.docker


def test_the_engine_reports_its_free_space(docker_client):
    free = engine_free_bytes(docker_client)
    assert free is not None and free > 0  # the engine of the suite runs on this machine
    ensure_free_space(docker_client, 1)
    with pytest.raises(EngineLowOnDisk, match="MiB free"):
        ensure_free_space(docker_client, free * 2)


@pytest.mark.django_db
def test_a_verification_is_not_claimed_while_the_disk_is_too_full(docker_client, tmp_path, settings):
    factories.write_tree(tmp_path, count=1)
    sync_patterns(tmp_path)
    example = Example.objects.get()
    verification = Verification.objects.create(example=example, example_hash=example.content_hash)
    settings.VERIFY_MIN_FREE_MB = engine_free_bytes(docker_client) // 2**20 + 1024
    assert verify_example(verification.pk).startswith("waiting: ")
    verification.refresh_from_db()
    assert (verification.state, verification.attempt, verification.failure_reason) == ("waiting", 0, "")
    assert "MiB free for the engine's images" in verification.detail
