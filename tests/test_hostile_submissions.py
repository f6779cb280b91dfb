"""Hostile submissions through the real submission path: each is refused or contained, and leaves nothing.

Every case (tests/hostile_submissions.py) starts from a fresh contributor's draft and goes through
the site's views and, when it gets that far, the sandbox worker on the gVisor engine. Each must end
with a message the contributor can act on, the site and both engines still answering, and nothing
left: no container, volume, network or image of the submission on either engine, no file outside its
own rows, the sandbox engine's disk back where it was. The suite prints the table:
case | refused or contained | message | seconds | leftovers.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from catalog.submissions.folder import tree_signature
from tests.conftest import LABELS
from tests.hostile_submissions import CASES, start
from worker.contract import labels
from worker.engine.client import label_filters
from worker.submission_run import OWNER

MOST_DISK_GROWTH = 1024 * 1024  # nothing of a submission stays; a filler would leave gigabytes
ROWS: list[tuple[str, str, str, float, str]] = []


@pytest.fixture(scope="module")
def table(request):
    yield ROWS
    reporter = request.config.pluginmanager.get_plugin("terminalreporter")
    if not ROWS or reporter is None:
        return
    reporter.write_line("")
    reporter.write_line("case | refused or contained | message | seconds | leftovers")
    for name, outcome, message, seconds, left in ROWS:
        short = " ".join(message.split())[:150]
        reporter.write_line(f"{name} | {outcome} | {short} | {seconds:.1f} | {left or 'none'}")
    outcomes = [row[1] for row in ROWS]
    reporter.write_line(
        f"{len(ROWS)} cases: {outcomes.count('refused')} refused, {outcomes.count('contained')} contained"
    )


@pytest.fixture
def patterns(patterns_tree, settings):
    settings.VERIFY_EXTRA_LABELS = dict(LABELS)
    settings.SUBMISSION_RUNS_PER_HOUR = 1000  # the quotas are tested on their own
    return patterns_tree


def leftovers(client, submission_run_ids: list[int]) -> list[str]:
    """What the submission's runs made that is still on an engine, found by their labels."""
    found = []
    for run_id in submission_run_ids:
        selector = label_filters({labels.OWNER: OWNER, labels.VERIFICATION: str(run_id), **LABELS})
        found += [f"container {c.name}" for c in client.containers.list(all=True, filters=selector)]
        found += [f"volume {v.name}" for v in client.volumes.list(filters=selector)]
        found += [f"network {n.name}" for n in client.networks.list(filters=selector)]
        found += [f"image {i.short_id}" for i in client.images.list(filters=selector)]
    return found


def engine_disk(client) -> int:
    """What the engine stores: image layers, containers' writable layers, volumes (its own count, so other
    work on the machine's disk does not move it)."""
    usage = client.df()
    containers = sum(item.get("SizeRw") or 0 for item in usage.get("Containers") or [])
    volumes = sum((item.get("UsageData") or {}).get("Size", 0) for item in usage.get("Volumes") or [])
    return (usage.get("LayersSize") or 0) + containers + max(volumes, 0)


def scratch_folders() -> set[str]:
    return {path.name for path in Path(tempfile.gettempdir()).glob("catalog-submission-*")}


@pytest.mark.django_db(transaction=True)  # the sandbox run's heartbeat thread has its own connection
@pytest.mark.parametrize("name", list(CASES))
def test_a_hostile_submission_is_refused_or_contained(name, patterns, table, sandbox_client, docker_client):
    _, act = CASES[name]
    author = get_user_model().objects.create_user(f"mallory-{len(ROWS)}", password="a long passphrase here")
    browser = Client()
    browser.force_login(author)
    harness = start(browser, author)
    signature, scratch = tree_signature(patterns), scratch_folders()
    disk_before = engine_disk(sandbox_client)
    began = time.monotonic()
    verdict = act(harness)
    took = time.monotonic() - began
    run_ids = list(harness.submission.runs.values_list("pk", flat=True))
    left = leftovers(sandbox_client, run_ids) + [f"main {item}" for item in leftovers(docker_client, run_ids)]
    grown = engine_disk(sandbox_client) - disk_before
    if grown > MOST_DISK_GROWTH:
        left.append(f"sandbox disk grew by {grown // 2**20} MiB")
    if tree_signature(patterns) != signature:
        left.append("files changed in the patterns folder")
    if scratch_folders() - scratch:
        left.append(f"scratch folders left: {sorted(scratch_folders() - scratch)}")
    ROWS.append((name, verdict.outcome, verdict.message, took, ", ".join(left)))
    assert verdict.outcome in ("refused", "contained"), f"{name}: {verdict}"
    assert verdict.message.strip(), f"{name}: no message for the contributor"
    assert not left, f"{name} left {left}"
    # The site and both engines still answer.
    assert Client().get("/").status_code == 200
    assert sandbox_client.ping() and docker_client.ping()


def test_the_suite_has_at_least_forty_cases_of_every_kind_the_issue_names():
    groups = [group for group, _ in CASES.values()]
    assert len(CASES) >= 40
    assert {group: groups.count(group) for group in set(groups)} == {
        "archive": 15,
        "content": 11,
        "dockerfile": 14,
        "run": 19,
    }
