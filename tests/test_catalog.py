"""The real catalog in patterns/: complete, well-formed, and every example proven on the engine."""

import os
import time

import pytest
from django.conf import settings

from catalog.content.importer import sync_patterns
from catalog.content.loader import load_tree
from catalog.models import Example, Pattern, PatternRelation, Verification
from catalog.verifications.queueing import request_verification
from catalog.verifications.verify_report import summary_table
from tests.conftest import RUN_ID
from tests.worker_process import WorkerProcess
from worker.contract.quantities import format_size
from worker.scenario import Scenario

# What each source document names (../shared/sources/README.md), as the catalog's folders.
SOURCE_PATTERNS = {
    "000 Container Patterns (Giant Swarm)": [
        "modular-container", "proper-linux-process", "explicit-interfaces", "disposable", "immutable",
        "self-contained",
        "small", "pod", "sidecar", "ambassador", "adapter", "container-chain", "image-metamorphosis",
        "vm-container", "config-in-volume",
    ],
    "001 Containers Patterns (Riviera Dev 2018)": [
        "copy-sources", "mount-sources", "dockerize-your-tools", "onbuild-image",
        "dependencies-first-dockerfile", "source-to-image", "build-from-scratch", "containers-launcher",
        "docker-socket-mount", "host-spoofing", "entrypoint-cmd-combined", "exec-form-entrypoint",
        "sidecar", "ambassador", "copy-executable",
    ],
    "002 The Distributed System ToolKit": ["modular-container", "pod", "sidecar", "ambassador", "adapter"],
    "003 Docker und Kubernetes Patterns & Anti-Patterns": [
        "self-describing-image", "well-behaved-process", "container-initializer",
        "image-layer-architecture", "image-shrinking", "externalized-configuration",
        "container-unit-testing", "sidecar", "ambassador", "adapter", "service-mesh", "diagnosability",
        "operator", "package-management", "dev-orchestration", "promotion", "image-metamorphosis",
        "stateful-container", "enterprise-pod", "health-check",
    ],
    "004 Container-Native Architecture": ["self-registration", "health-check", "container-initializer"],
    "issue 4 anti-patterns": [
        "shell-form-entrypoint", "cache-busting-order", "fat-image", "unpinned-latest", "running-as-root",
        "secrets-in-layers",
    ],
}  # fmt: skip
LEAST_ENTRIES = 45
COLD_BUDGET_SECONDS = 15 * 60
CATALOG_WORKERS = int(os.environ.get("CATALOG_WORKERS", "2"))  # one per core of the CI machine


@pytest.fixture(scope="module")
def tree():
    loaded = load_tree(settings.PATTERNS_DIR)
    assert not loaded.errors, "\n".join(str(error) for error in loaded.errors)
    return loaded


@pytest.mark.parametrize("source", sorted(SOURCE_PATTERNS))
def test_every_pattern_the_sources_name_is_in_the_catalog(tree, source):
    present = {pattern.slug for pattern in tree.patterns}
    assert sorted(set(SOURCE_PATTERNS[source]) - present) == []


def test_the_catalog_is_complete_and_every_page_has_its_proof(tree):
    assert len(tree.patterns) >= LEAST_ENTRIES
    for pattern in tree.patterns:
        if pattern.unverifiable:
            assert pattern.kind == "platform", pattern.slug
            assert "```yaml" in pattern.body, f"{pattern.slug} shows no manifest"
        else:
            assert pattern.examples, f"{pattern.slug} has no example"
        assert pattern.sources, pattern.slug
        for example in pattern.examples:
            proving = Scenario.from_dict(example.scenario).proving_expectation_count
            assert proving >= 2, f"{pattern.slug}/{example.slug}: {proving} expectations"
            assert example.scenario.get("commands"), f"{pattern.slug}/{example.slug} shows no commands"


@pytest.mark.django_db
def test_every_anti_pattern_links_its_fix_and_every_principle_its_patterns(tree):
    assert sync_patterns(settings.PATTERNS_DIR).ok
    for anti in Pattern.objects.filter(kind=Pattern.Kind.ANTI_PATTERN):
        fixes = PatternRelation.objects.filter(target=anti, relation="fixes", source__kind="pattern")
        assert fixes.exists(), f"{anti.slug} has no fix"
    for principle in Pattern.objects.filter(kind=Pattern.Kind.PRINCIPLE):
        realising = PatternRelation.objects.filter(target=principle, relation="realises")
        assert realising.count() >= 2, f"{principle.slug} names {realising.count()} realising patterns"
    kinds = set(Pattern.objects.values_list("kind", flat=True))
    assert kinds == {"pattern", "anti-pattern", "principle", "platform"}


@pytest.mark.catalog
@pytest.mark.docker
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_every_example_of_the_catalog_passes_on_the_engine(tmp_path, broker, docker_client, client, capsys):
    """Verify the whole catalog from a cold build cache, through the real worker, and print the table."""
    assert sync_patterns(settings.PATTERNS_DIR).ok
    workers = [WorkerProcess(tmp_path, VERIFY_ALLOW_HOST_ACCESS="true") for _ in range(CATALOG_WORKERS)]
    try:
        for worker in workers:
            worker.wait_for_log("ready.")
        examples = list(Example.objects.filter(pattern__published=True).select_related("pattern"))
        started = time.monotonic()
        ids = [request_verification(example)[0].pk for example in examples]
        rows = wait_for_all(ids, workers, timeout=COLD_BUDGET_SECONDS * 2)
        took = time.monotonic() - started
        # Verified again, the cache examples still see their misses: no earlier image feeds the cache.
        again = [
            request_verification(row.example)[0].pk
            for row in rows
            if row.example.pattern.slug in ("dependencies-first-dockerfile", "cache-busting-order")
        ]
        rerun = wait_for_all(again, workers, timeout=300)
        left = docker_client.images.list(filters={"label": f"catalog.test-run={RUN_ID}"})
    finally:
        for worker in workers:
            worker.stop()
        remove_catalog_images(docker_client)
    with capsys.disabled():
        print(f"\n{summary_table(rows)}\n")
        print(f"whole catalog: {len(rows)} examples in {took / 60:.1f} min, {CATALOG_WORKERS} workers")
    failed = [
        f"{row.example}: {row.failure_reason} {row.detail}"
        for row in [*rows, *rerun]
        if row.state != "passed"
    ]
    assert failed == []
    assert took <= COLD_BUDGET_SECONDS, f"cold verification took {took:.0f} s"
    for row in rows:
        assert len(row.result["checks"]) >= 2 and all(check["passed"] for check in row.result["checks"])
        # Every command the page tells a reader to type ran, and did what the page says.
        ran = row.result["commands"]
        assert ran and [c["status"] for c in ran] == ["passed"] * len(ran), row.example
        assert len(ran) == len(row.example.parsed_scenario.commands), row.example
    assert len(rerun) == 2
    assert left == [], "finished verifications remove their images"
    shown = next(row for row in rows if row.example.pattern.slug == "shell-form-entrypoint")
    page = client.get(shown.example.pattern.get_absolute_url()).content.decode()
    assert "Passed" in page and "Layer history" in page
    assert page.count("Did what it says</span>") == len(shown.result["commands"])
    for facts in shown.result["images"].values():
        assert format_size(facts["size"]) in page
    # An anti-pattern's page measures it against its fix: the stop time differs by the kill timeout.
    assert "Compared: <code>shell</code> and <code>exec</code>" in page and "Stop time" in page
    # Every anti-pattern is measured against its fix: two images compared, or the run's two sides.
    for pattern in Pattern.objects.filter(published=True, kind=Pattern.Kind.ANTI_PATTERN):
        page = client.get(pattern.get_absolute_url()).content.decode()
        assert "Compared: <code>" in page or "Before and after, measured" in page, pattern.slug
    # Lint findings are drawn at their lines of the listed Dockerfiles.
    linted = [
        row
        for row in rows
        if any(
            (facts.get("lint") or {}).get("findings") for facts in (row.result.get("analysis") or {}).values()
        )
    ]
    assert linted
    for row in linted:
        page = client.get(row.example.pattern.get_absolute_url()).content.decode()
        assert f'id="lint-{row.example.slug}-' in page and "line--lint" in page, row.example


def wait_for_all(ids: list[int], workers: list[WorkerProcess], timeout: float) -> list[Verification]:
    deadline = time.monotonic() + timeout
    while True:
        rows = list(Verification.objects.filter(pk__in=ids).select_related("example__pattern"))
        if all(not row.is_active for row in rows):
            return rows
        if time.monotonic() > deadline:
            logs = "\n".join(worker.log()[-3000:] for worker in workers)
            raise AssertionError(f"{sum(row.is_active for row in rows)} still running:\n{logs}")
        time.sleep(1)


def remove_catalog_images(docker_client) -> None:
    from worker.images.builder import remove_images

    remove_images(docker_client, {"catalog.test-run": RUN_ID})


@pytest.mark.django_db
def test_the_table_lays_out_every_tile_by_category_in_a_deliberate_order(client):
    import re

    assert sync_patterns(settings.PATTERNS_DIR).ok
    html = client.get("/").content.decode()
    blocks = {}
    for part in re.split(r"<h2", html)[1:]:
        title = re.sub(r"<[^>]+>", "", part.split("</h2>")[0].split(">", 1)[1]).strip()
        blocks[title] = re.findall(r'element__symbol">([^<]+)<', part.split("</section>")[0])
    order = ["Development", "Distribution", "Runtime", "Composite", "Principles", "Anti-patterns"]
    assert [title for title in blocks if blocks[title]][:7] == [*order, "Platform level"]
    assert sum(len(blocks[title]) for title in list(blocks)[:7]) == Pattern.objects.count() >= LEAST_ENTRIES
    # Each block opens with the pattern the talk starts it with; principles in the source's order.
    assert [blocks[title][0] for title in ("Development", "Distribution", "Runtime", "Composite")] == [
        "Cs", "Bfs", "Efe", "Pod",
    ]  # fmt: skip
    assert blocks["Principles"] == ["Mc", "Plp", "Ei", "Dp", "Imm", "Scn", "Sml"]
    assert "Double frame: principle" in html and "Dotted frame: platform level" in html
