"""While examples cannot be verified here, every page says what is missing, once, and the fixing command."""

import os
from datetime import timedelta

import pytest
import yaml
from django.utils import timezone

from catalog.models import ServiceBeat
from worker.engine.check import engine_report

NO_ENGINE = {
    "ok": False,
    "problem": "the Docker engine does not answer (connection refused)",
    "fix": "sudo make engine",
}
ROOT_FIX = "make engine" if os.geteuid() == 0 else "sudo make engine"  # installing needs root
PAGES = ["/", "/patterns/pattern-0/", "/search/?q=pattern", "/status/"]


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


def worker_reports(engine: dict, seen_ago: timedelta = timedelta(seconds=5)) -> None:
    ServiceBeat.objects.create(
        name="w1", role=ServiceBeat.Role.WORKER, seen_at=timezone.now() - seen_ago, info={"engine": engine}
    )


@pytest.mark.django_db
@pytest.mark.parametrize("path", PAGES)
def test_every_page_says_once_what_is_missing_and_how_to_fix_it(client, example, path):
    worker_reports(NO_ENGINE)
    html = client.get(path).content.decode()
    assert html.count('class="setup-notice"') == 1
    assert "Examples cannot be verified here yet:</strong> the Docker engine does not answer" in html
    assert "To fix it, run <code>sudo make engine</code>" in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "report, seen_ago",
    [
        ({"ok": True, "problem": "", "fix": ""}, timedelta(seconds=5)),  # all is well
        (NO_ENGINE, timedelta(minutes=10)),  # an old report of a worker that is gone says nothing now
    ],
    ids=["engine-ok", "stale-worker"],
)
def test_no_notice_when_nothing_is_known_to_be_missing(client, example, report, seen_ago):
    worker_reports(report, seen_ago)
    assert 'class="setup-notice"' not in client.get("/").content.decode()


@pytest.mark.django_db
def test_no_notice_without_any_worker_report(client, example):
    assert 'class="setup-notice"' not in client.get("/patterns/pattern-0/").content.decode()


@pytest.mark.docker
def test_the_worker_reports_missing_base_images_of_its_real_engine(docker_client, tmp_path):
    bases = tmp_path / "bases.yaml"
    wanted = [{"image": "busybox:1.35"}, {"image": "catalog-test-never-provisioned:0.1"}]
    bases.write_text(yaml.safe_dump({"bases": wanted}))
    report = engine_report(bases)
    assert report.ok is False and report.missing_bases == ("catalog-test-never-provisioned:0.1",)
    assert report.problem == "the base image catalog-test-never-provisioned:0.1 is not on the Docker engine"
    assert report.fix == ROOT_FIX and report.answers
    bases.write_text(yaml.safe_dump({"bases": wanted[:1]}))
    assert engine_report(bases).ok is True


def test_the_worker_reports_an_engine_that_does_not_answer(tmp_path, monkeypatch):
    monkeypatch.setenv("DOCKER_HOST", f"unix://{tmp_path}/no-engine.sock")
    report = engine_report(tmp_path / "bases.yaml")
    assert report.ok is False and report.problem.startswith("the Docker engine does not answer (")
    assert report.fix == ROOT_FIX and not report.answers
