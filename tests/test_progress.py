"""An attempt's live log reaches its row while it runs, and a lost lease stops the run at its next line."""

import time

import pytest

from catalog.content.importer import sync_patterns
from catalog.models import Example, Verification
from tests import factories
from worker.progress import LeaseLost, Progress

pytestmark = pytest.mark.django_db(transaction=True)  # the heartbeat writes from its own thread


@pytest.fixture
def claimed(tmp_path) -> tuple[Verification, int]:
    factories.write_tree(tmp_path, count=1)
    assert sync_patterns(tmp_path).ok
    example = Example.objects.get()
    verification = Verification.objects.create(example=example, example_hash=example.content_hash)
    return verification, Verification.claim(verification.pk, "test-worker")


def logged(verification: Verification) -> str:
    return Verification.objects.values_list("log", flat=True).get(pk=verification.pk)


def test_lines_reach_the_row_while_the_attempt_runs_and_all_of_them_at_the_end(claimed):
    verification, attempt = claimed
    progress = Progress(verification.pk, attempt)
    try:
        progress.add("step 1/2: build app")
        deadline = time.monotonic() + 10
        while "build app" not in logged(verification) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert logged(verification) == "step 1/2: build app\n"
        progress.add("step 2/2: run app\n")
    finally:
        progress.stop()
    assert logged(verification) == "step 1/2: build app\nstep 2/2: run app\n"


def test_a_newer_attempt_taking_the_row_stops_the_old_one_at_its_next_line(claimed):
    verification, attempt = claimed
    progress = Progress(verification.pk, attempt)
    try:
        Verification.objects.filter(pk=verification.pk).update(attempt=attempt + 1)  # another worker's
        progress.add("a line the old attempt still writes")
        assert progress.lost.wait(10)
        with pytest.raises(LeaseLost, match=f"attempt {attempt} was taken over"):
            progress.add("and the next")
    finally:
        progress.stop()
    assert logged(verification) == ""
