"""Everything a pattern page shows of an example's proof is in the JSON API, with the same value.

Each test reads the page's HTML and the API's answer and compares what tests/api_page_numbers.py
draws from each: the verification panel (headline, facts, bases, checks, builds and the cache,
before and after, comparisons), every image (sizes, history, size chart), its layer analysis
(reclaimable bytes, efficiency, lint findings with line, rule, message and cost, where the waste
is, the layer list and its file links) and the commands with their results. The answers are
validated against the site's OpenAPI document on the way.
"""

import copy
import json
from pathlib import Path

import pytest
from django.conf import settings

from catalog.content.importer import sync_patterns
from catalog.models import Example, ImageLayers
from tests import factories
from tests.api_checks import valid_answer
from tests.api_page_numbers import from_api, from_page
from tests.test_verification_run import claim, extra_labels
from tests.verification_results import finished, image_facts, stored
from worker.contract.results import Check, CommandResult, ScenarioResult, StepReport
from worker.scenario import Scenario
from worker.verification_run import run_attempt

STORED_V0 = Path(__file__).parent / "data" / "result-v0-image-layer-architecture.json"


def both(client, example: Example) -> tuple[dict, dict]:
    """What the page shows of the example, and the same rebuilt from the API's answer alone."""
    page = client.get(example.pattern.get_absolute_url()).content.decode()
    answer = valid_answer(client, f"/api/v1/patterns/{example.pattern.slug}.json")
    [shown] = [entry for entry in answer["examples"] if entry["slug"] == example.slug]
    return from_page(page, example.slug), from_api(shown)


def without_file_links(numbers: dict) -> dict:
    """The numbers but the layers' file links: the page links them even where no full analysis is kept."""
    numbers = copy.deepcopy(numbers)
    for image in numbers.get("images", []):
        image["layers"] = [(head, changes, None) for head, changes, _ in image.get("layers", [])]
    return numbers


@pytest.fixture
def real_catalog(db):
    assert sync_patterns(settings.PATTERNS_DIR).ok


def ran_commands(example: Example) -> tuple[CommandResult, ...]:
    return tuple(
        CommandResult(
            index=index,
            title=command.title,
            run=command.run,
            expected=command.expected,
            status="passed" if index < 4 else "failed",
            exit_code=0 if index < 4 else 1,
            output=f"output of command {index}\n",
            duration=0.25 + index,  # 0.25 s: where rounding half up and half to even part
            detail="" if index < 4 else "it exited 1, not 0",
        )
        for index, command in enumerate(example.parsed_scenario.commands)
    )


def test_a_stored_result_of_the_real_catalog_reads_the_same_on_the_page_and_in_the_api(client, real_catalog):
    example = Example.objects.select_related("pattern").get(pattern__slug="image-layer-architecture")
    result = json.loads(STORED_V0.read_text())
    result["commands"] = [json.loads(json.dumps(command.__dict__)) for command in ran_commands(example)]
    sizes = {name: facts["size"] for name, facts in result["images"].items()}
    finished(
        example, "passed", result, minutes_ago=90, image_sizes={name: s + 4096 for name, s in sizes.items()}
    )
    finished(example, "passed", result, minutes_ago=3, image_sizes=sizes, attempt=2)
    page, api = both(client, example)
    assert without_file_links(page) == without_file_links(api)
    # Not an empty comparison: the figures the stored result holds are there on both sides.
    assert api["headline"] == "Passed 24 of 24 checks in 6.4 s" and len(api["checks"]) == 24
    assert api["facts"]["Took"] == "6.4 s (attempt 2)" and len(api["builds"]) == 4
    invoices = next(image for image in api["images"] if image["title"].startswith("Image invoices"))
    assert (
        invoices["layer_facts"]["Reclaimable"] == "3.38 kB"
        and invoices["layer_facts"]["Efficiency"] == "100.0 %"
    )
    assert len(invoices["waste"]) == 9 and invoices["lint"][0].startswith(
        "Dockerfile.invoices line 16 DL3066 info"
    )
    assert len(invoices["sizes"]) == 2 and len(invoices["layers"]) == 5
    assert [title for title, _ in api["comparisons"]] == [
        "Compared: orders and invoices 3 differences",
        "Compared: invoices and orders 3 differences",
    ]
    assert api["bases"] == [
        ("python:3.11-slim-bookworm", "stand-in built offline", [result["environment"]["bases"][0]["id"]])
    ]
    assert [summary for *_, summary in api["commands"]][3:5] == [
        "Did what it says: exit 0 in 3.3 s",
        "Did not do what it says: exit 1 in 4.3 s (it exited 1, not 0)",
    ]
    assert api["lint_lines"] == [("Dockerfile.invoices", 16), ("Dockerfile.orders", 16)]


def sided_result(example: Example) -> dict:
    """A run of an anti-pattern's real scenario: a check per step, the second of them failed."""
    scenario: Scenario = example.parsed_scenario
    checks = tuple(
        Check(
            index,
            step.action,
            "exit_code",
            "= 0",
            "0" if index != 1 else "",
            index != 1,
            detail=f"step {index}",
        )
        for index, step in enumerate(scenario.steps)
    )
    result = ScenarioResult(
        outcome="failed",
        failure_reason="CHECK_FAILED",
        detail="1 check failed",
        checks=checks,
        images={image.name: image_facts(image.name) for image in scenario.images},
        steps=tuple(
            StepReport(index, step.action, f"{step.action} {index}", "passed", 0.5)
            for index, step in enumerate(scenario.steps)
        ),
        duration=61.5,
        engine={"version": "20.10.24", "arch": "x86_64", "os": "linux"},
    )
    return stored(result)


@pytest.mark.parametrize("slug", ["stateful-container", "config-in-volume", "fat-image"])
def test_an_anti_patterns_two_sides_and_comparisons_read_the_same(client, real_catalog, slug):
    example = Example.objects.select_related("pattern").filter(pattern__slug=slug).first()
    finished(example, "failed", sided_result(example))
    page, api = both(client, example)
    assert page == api
    assert api["status"] == "failed" and api["headline"].startswith("Failed 1 of ")
    assert api["before_after"] or api["comparisons"]


def test_an_example_never_verified_shows_its_commands_without_results(client, real_catalog):
    example = Example.objects.select_related("pattern").get(pattern__slug="image-shrinking")
    page, api = both(client, example)
    assert page == api == {**api, "status": "none"} and "headline" not in api
    assert api["commands"] and all(summary == "" for *_, summary in api["commands"])


WASTEFUL = """FROM busybox:1.35
RUN (apt-get update && apt-get install -y curl) || true; mkdir -p /var/lib/apt/lists \\
    && head -c 123456 /dev/zero > /var/lib/apt/lists/fake_Packages
COPY hello.sh /hello.sh
RUN rm /var/lib/apt/lists/fake_Packages
ENTRYPOINT ["/hello.sh"]
"""


def measured_example() -> dict:
    """The mistake (a wasteful image) and its fix (the factories' lean one), compared, with commands."""
    run = {"expect": {"exit_code": 0, "output_contains": "hello"}}
    return factories.scenario(
        images={"wasteful": {"dockerfile": "Dockerfile.wasteful"}, "lean": {"dockerfile": "Dockerfile"}},
        steps=[
            {"side": "before", "run": {"image": "wasteful"}, **run},
            {"side": "after", "run": {"image": "lean"}, **run},
            {
                "rebuild": {"image": "wasteful", "touch": "hello.sh"},
                "expect": {"cache_hit": ["apt-get update"], "cache_miss": ["COPY hello.sh"]},
            },
        ],
        compare=[{"images": ["wasteful", "lean"], "expect": {"size_ratio_min": 0.9}}],
        commands=[
            {"title": "Build the fix", "run": "docker build -t parity-lean ."},
            {"title": "Run it", "run": "docker run --rm parity-lean", "expect": {"output_contains": "hello"}},
            {"title": "Clean up", "run": "docker rmi parity-lean"},
        ],
    )


@pytest.mark.docker
@pytest.mark.django_db(transaction=True)  # the attempt's heartbeat writes from its own thread
def test_a_verification_run_on_the_engine_reads_the_same_on_the_page_and_in_the_api(
    tmp_path, client, docker_client, busybox, labels, settings
):
    settings.VERIFY_EXTRA_LABELS = extra_labels(labels)
    factories.write_bases(tmp_path)
    folder = factories.write_anti_pattern(tmp_path, "fix", example=measured_example())
    factories.write_pattern(tmp_path, "fix", symbol="Fx")
    (folder / "examples" / "hello" / "Dockerfile.wasteful").write_text(WASTEFUL)
    synced = sync_patterns(tmp_path)
    assert synced.ok, synced.errors
    example = Example.objects.select_related("pattern").get(pattern__slug="bad")
    verification = example.verifications.create(example_hash=example.content_hash)
    assert run_attempt(docker_client, verification.pk, claim(verification)) == "passed"
    page, api = both(client, example)
    assert page == api
    # A real run: its lint finding and its bytes, the waste, the cache, the two sides and the commands.
    wasteful = next(image for image in api["images"] if image["title"].startswith("Image wasteful"))
    assert wasteful["layer_facts"]["Reclaimable"] == "123 kB"
    assert any("DL3009" in finding and "costs 123 kB in its layer" in finding for finding in wasteful["lint"])
    assert wasteful["waste"][0][:3] == [
        "/var/lib/apt/lists/fake_Packages",
        "123 kB",
        "deleted by a later layer",
    ]
    lines = {
        ("Dockerfile.wasteful", int(finding.split(" line ")[1].split()[0])) for finding in wasteful["lint"]
    }
    assert api["lint_lines"] == sorted(lines)
    assert [side[0] for side in api["before_after"]] == ["Before: the anti-pattern", "After: the fix"]
    assert any("from the cache" in title for title, _ in api["builds"])
    assert [summary.split(":")[0] for *_, summary in api["commands"]] == ["Did what it says"] * 3
    # Each layer's files: the page's tree and the API's pages read the same kept analysis.
    links = [files for image in api["images"] for _, _, files in image["layers"] if files]
    assert links and {(pk, name) for pk, name, _ in links} == {
        (verification.pk, "wasteful"),
        (verification.pk, "lean"),
    }
    assert ImageLayers.objects.filter(verification=verification).count() == 2
    for pk, name, layer in links:
        changes = every_change(client, f"/api/v1/verifications/{pk}/images/{name}/layers/{layer}/files.json")
        tree = client.get(f"/verifications/{pk}/images/{name}/layers/{layer}/files?format=json").json()
        tops = {"/" + change["path"].strip("/").split("/")[0] for change in changes}
        assert tops == {entry["path"] for entry in tree["entries"]}
        assert sum(entry["bytes"] for entry in tree["entries"]) == sum(change["bytes"] for change in changes)


def every_change(client, url: str) -> list[dict]:
    """A layer's changes over every page, following `next`."""
    changes: list[dict] = []
    while url:
        page = valid_answer(client, url)
        changes += page["changes"]
        url = page["next"].removeprefix("http://testserver") if page["next"] else ""
    assert len(changes) == page["count"]
    return changes


# Examples of the real catalog that build on busybox alone: anti-patterns measured against their
# fix (images compared, or the run's two sides), a multi-stage build, a composite, and lint findings.
REAL_ON_BUSYBOX = {  # slug -> what of the proof it shows besides checks, images, layers and commands
    "shell-form-entrypoint": "comparisons",
    "secrets-in-layers": "waste",
    "stateful-container": "before_after",
    "running-as-root": "comparisons",
}


@pytest.mark.docker
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("slug", REAL_ON_BUSYBOX)
def test_real_examples_verified_on_the_engine_read_the_same(
    client, docker_client, busybox, labels, settings, slug
):
    settings.VERIFY_EXTRA_LABELS = extra_labels(labels)
    assert sync_patterns(settings.PATTERNS_DIR).ok
    example = Example.objects.select_related("pattern").filter(pattern__slug=slug).first()
    verification = example.verifications.create(example_hash=example.content_hash)
    assert run_attempt(docker_client, verification.pk, claim(verification)) == "passed"
    page, api = both(client, example)
    assert page == api
    assert api["checks"] and api["commands"] and all(image["layers"] for image in api["images"])
    shows = REAL_ON_BUSYBOX[slug]
    assert api[shows] if shows != "waste" else any(image["waste"] for image in api["images"])
