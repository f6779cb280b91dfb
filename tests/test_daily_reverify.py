"""The daily re-verification of the workshops to come, and the page's warning with the day it last passed."""

import time
from datetime import timedelta

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone

from catalog.content.importer import sync_patterns
from catalog.models import Verification, Workshop
from catalog.serving import page_cache
from catalog.workshops.readiness import day
from catalog.workshops.reverify import Reverified, reverify_workshops
from tests import factories
from tests.conftest import RUN_ID
from tests.verification_results import build_failed_result, finished, passed_result
from tests.worker_process import WorkerProcess
from tests.workshop_files import example, synced_site, workshop, write_workshop
from worker.images.builder import remove_images

pytestmark = pytest.mark.django_db

URL = "/workshops/morning/"


@pytest.fixture
def site(tmp_path):
    return synced_site(tmp_path)


def own_workshop(date, patterns=("pattern-0", "pattern-1")) -> Workshop:
    """A trainer's own workshop over these patterns (their one example each), dated `date` (or not)."""
    owner = get_user_model().objects.get_or_create(username="ada")[0]
    shop = Workshop.objects.create(
        slug=f"ada-{date or 'undated'}",
        title="Ada's",
        summary="s",
        audience="a",
        duration_minutes=60,
        source="trainer",
        owner=owner,
        event_date=date,
    )
    part = shop.parts.create(position=0, title="All")
    for position, slug in enumerate(patterns):
        part.items.create(position=position, pattern=example(slug).pattern, examples=["hello"], minutes=10)
    return shop


def cold_runs() -> list[str]:
    return sorted(str(v.example) for v in Verification.objects.filter(cold=True))


def finish_all() -> None:
    for verification in Verification.objects.active():
        attempt = Verification.claim(verification.pk, "test-worker")
        assert Verification.finish(verification.pk, attempt, state="passed", result=passed_result())


def test_each_example_is_queued_cold_once_a_day_however_many_workshops_share_it(site):
    today = timezone.localdate()
    own_workshop(today + timedelta(days=3))  # shares pattern-0 and pattern-1 with the curated one
    now = timezone.now()
    assert reverify_workshops(now) == Reverified(workshops=2, examples=3, queued=3, joined=0, skipped=0)
    assert cold_runs() == ["pattern-0/hello", "pattern-1/hello", "pattern-2/hello"]
    finish_all()
    # The beat passing again the same day (a restart, a short interval) queues nothing.
    assert reverify_workshops(now + timedelta(minutes=5)).skipped == 3
    assert Verification.objects.count() == 3
    # The next day, once more.
    assert reverify_workshops(now + timedelta(days=1)).queued == 3
    assert Verification.objects.count() == 6


def test_past_workshops_and_undated_drafts_are_left_alone(site):
    curated = Workshop.objects.get()
    curated.event_date = timezone.localdate() - timedelta(days=1)
    curated.save()
    own_workshop(None)  # a trainer's draft without a date
    own_workshop(timezone.localdate() - timedelta(days=30))
    assert reverify_workshops() == Reverified(workshops=0, examples=0, queued=0, joined=0, skipped=0)
    own_workshop(timezone.localdate(), patterns=("pattern-2",))  # given today
    assert reverify_workshops().queued == 1 and cold_runs() == ["pattern-2/hello"]


def test_a_warm_run_live_is_made_cold_rather_than_doubled(site):
    warm = Verification.objects.create(
        example=example("pattern-0"), example_hash=example("pattern-0").content_hash
    )
    counts = reverify_workshops()
    assert (counts.queued, counts.joined) == (2, 1)
    warm.refresh_from_db()
    assert warm.cold and Verification.objects.filter(example=warm.example).count() == 1


def test_the_beat_runs_it_daily():
    entry = settings.CELERY_BEAT_SCHEDULE["reverify-workshops"]
    assert entry == {"task": "catalog.reverify_workshops", "schedule": 24 * 60 * 60.0}


def test_the_warning_names_the_day_it_last_passed(client, site):
    now = timezone.now()
    passed_on, failed_on = now - timedelta(days=2), now - timedelta(hours=1)
    for pattern in ("pattern-0", "pattern-1", "pattern-2"):
        finished(example(pattern), "passed", passed_result(), finished_at=passed_on)
    finished(example("pattern-1"), "failed", build_failed_result(), finished_at=failed_on)
    html = client.get(URL).content.decode()
    assert f"hello failed on {day(failed_on)}; last passed {day(passed_on)}" in html
    # An example changed since its last pass is warned of too, before any run of its new files.
    Verification.objects.filter(example=example("pattern-2")).update(example_hash="0" * 64)
    page_cache.bump_generation()  # as a sync does
    html = client.get(URL).content.decode()
    assert f"hello changed since its last run; last passed {day(passed_on)}" in html
    assert html.count('<li><a href="/patterns/') >= 2


# --- on the real engine, through the beat ---

BROKEN = 'FROM busybox:1.35\nRUN echo "rotted" && exit 3\nCMD ["true"]\n'


@pytest.mark.docker
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)  # the worker is a process of its own
def test_the_beat_notices_a_broken_item(tmp_path, broker, docker_client, client):
    root = tmp_path / "patterns"
    factories.write_bases(root)
    factories.write_pattern(root, "rots", symbol="Ro", name="It rots", files={"Dockerfile": BROKEN})
    data = workshop(parts=[{"title": "All", "items": [{"pattern": "rots", "minutes": 10, "depth": "core"}]}])
    data.update(cuts=None, date=str(timezone.localdate()))
    write_workshop(tmp_path / "workshops", "morning", {k: v for k, v in data.items() if v is not None})
    assert sync_patterns(root, tmp_path / "workshops").ok
    rots = example("rots")
    Verification.objects.filter(example=rots).delete()  # the sync's own run: not the point here
    passed_on = timezone.now() - timedelta(days=2)
    finished(rots, "passed", passed_result(), finished_at=passed_on)  # it passed two days ago
    worker = WorkerProcess(tmp_path, beat=True, WORKSHOP_REVERIFY_INTERVAL="2")
    try:
        worker.wait_for_log("ready.")
        deadline = time.monotonic() + 120
        while not Verification.objects.filter(example=rots, cold=True, state="failed").exists():
            assert time.monotonic() < deadline, worker.log()[-4000:]
            time.sleep(0.5)
        time.sleep(5)  # the beat passes again, twice at least: nothing more is queued today
        assert Verification.objects.filter(example=rots, cold=True).count() == 1, worker.log()[-4000:]
    finally:
        worker.stop()
        remove_images(docker_client, {"catalog.test-run": RUN_ID})
    failed = Verification.objects.get(example=rots, cold=True)
    html = client.get(URL).content.decode()
    assert f"hello failed on {day(failed.finished_at)}; last passed {day(passed_on)}" in html
