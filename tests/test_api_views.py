"""The JSON API over HTTP: filters, old and v1 paths, paged layer files, 304s, CORS, the schema it serves."""

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.content.importer import sync_patterns
from catalog.models import Example, ImageLayers
from tests import factories
from tests.api_checks import stored_analysis, valid_answer
from tests.verification_results import finished, passed_result, running
from worker.contract.results import Check

pytestmark = pytest.mark.django_db

FAILING_CHECK = Check(0, "run", "exit_code", "= 0", "1", False)


@pytest.fixture
def catalog(tmp_path) -> dict[str, Example]:
    """Four patterns: passed, running, never verified, and an anti-pattern whose run failed."""
    factories.write_bases(tmp_path)
    factories.write_pattern(tmp_path, "pattern-0", symbol="Paa", categories=["runtime"])
    factories.write_pattern(tmp_path, "pattern-1", symbol="Pab", categories=["distribution", "runtime"])
    factories.write_pattern(tmp_path, "pattern-2", symbol="Pac", categories=["development"])
    factories.write_anti_pattern(tmp_path, "pattern-0")
    assert sync_patterns(tmp_path).ok
    examples = {example.pattern.slug: example for example in Example.objects.select_related("pattern")}
    finished(examples["pattern-0"], "passed", passed_result())
    running(examples["pattern-1"])
    finished(examples["bad"], "failed", passed_result(checks=(FAILING_CHECK,)))
    return examples


def slugs(client, query: str = "") -> list[str]:
    data = valid_answer(client, f"/api/v1/patterns.json{query}")
    assert data["count"] == len(data["patterns"])
    return [pattern["slug"] for pattern in data["patterns"]]


def test_the_list_filters_by_category_kind_and_state(client, catalog):
    assert slugs(client) == ["pattern-2", "pattern-1", "bad", "pattern-0"]  # the periodic table's order
    assert slugs(client, "?category=runtime") == ["pattern-1", "bad", "pattern-0"]
    assert slugs(client, "?category=distribution") == ["pattern-1"]
    assert slugs(client, "?kind=anti-pattern") == ["bad"]
    assert slugs(client, "?kind=pattern&category=runtime") == ["pattern-1", "pattern-0"]
    states = {
        state: slugs(client, f"?state={state}") for state in ("passed", "failed", "running", "none", "error")
    }
    assert states == {
        "passed": ["pattern-0"],
        "failed": ["bad"],
        "running": ["pattern-1"],
        "none": ["pattern-2"],
        "error": [],
    }
    data = client.get("/api/v1/patterns.json?kind=anti-pattern&state=failed").json()
    assert data["filters"] == {"kind": "anti-pattern", "state": "failed"}
    assert [(p["slug"], p["state"], p["kind"]) for p in data["patterns"]] == [
        ("bad", "failed", "anti-pattern")
    ]
    # The badge says the same word as the list.
    assert "failed" in client.get("/patterns/bad/badge.svg").content.decode()


@pytest.mark.parametrize(
    ("query", "parameter", "allowed"),
    [
        ("?kind=recipe", "kind", ["pattern", "anti-pattern", "principle", "platform"]),
        ("?state=green", "state", ["running", "passed", "failed", "error", "none"]),
        ("?category=cooking", "category", ["development", "distribution", "runtime", "composite"]),
        ("?colour=red", "colour", ["category", "kind", "state"]),
    ],
)
def test_an_unknown_parameter_or_value_is_refused_with_what_is_allowed(
    client, catalog, query, parameter, allowed
):
    problem = valid_answer(client, f"/api/v1/patterns.json{query}", status=400)
    assert problem["parameter"] == parameter and problem["error"].startswith("unknown")
    assert sorted(problem["allowed"]) == sorted(allowed)


def test_the_paths_from_before_v1_answer_the_same(client, catalog):
    for old, new in (("/api/patterns.json", "/api/v1/patterns.json"), *detail_paths(catalog)):
        before, after = client.get(old), client.get(new)
        assert before.status_code == after.status_code == 200
        assert before.content == after.content and before["ETag"] == after["ETag"]
        valid_answer(client, old)


def detail_paths(catalog):
    return [(f"/api/patterns/{slug}.json", f"/api/v1/patterns/{slug}.json") for slug in catalog]


def test_every_answer_validates_against_the_served_document(client, catalog):
    for _, path in detail_paths(catalog):
        detail = valid_answer(client, path)
        assert detail["api_url"] == f"http://testserver{path}"
    detail = valid_answer(client, "/api/v1/patterns/pattern-0.json")
    [example] = detail["examples"]
    assert example["status"] == "passed" and example["last_result"] == example["verification"]
    assert example["last_result"]["headline"] == "Passed 3 of 3 checks in 4.2 s"
    assert [c["title"] for c in example["commands"]] == ["Build and run it"]
    assert example["commands"][0]["result"] is None  # the stored run predates commands
    anti = valid_answer(client, "/api/v1/patterns/bad.json")
    sides = anti["examples"][0]["last_result"]["before_after"]
    assert [len(sides["before"]["checks"]), len(sides["after"]["checks"])] == [1, 0]
    assert sides["same_images"] is True and sides["before"]["heading"] == "Before: the anti-pattern"
    assert sides["before"]["images"] == sides["after"]["images"] == ["app"]
    live = valid_answer(client, "/api/v1/patterns/pattern-1.json")["examples"][0]
    assert live["verification"]["state"] == "running" and live["last_result"] is None
    assert live["status"] == "running" and live["verification"]["finished_at"] is None
    problem = valid_answer(client, "/api/v1/patterns/nope.json", status=404)
    assert problem["error"] == "no published pattern is named 'nope'"


@pytest.fixture
def many_files(catalog) -> ImageLayers:
    """A kept analysis whose second layer changed 450 files."""
    files = [(f"srv/data/file-{number:03d}.txt", b"x" * number) for number in range(450)]
    layers = [("RUN hostname", [("etc/hostname", b"box\n")]), ("RUN cp -r data /srv/data", files)]
    analysis = stored_analysis(layers)
    verification = catalog["pattern-0"].verifications.get()
    return ImageLayers.objects.create(verification=verification, image_name="app", analysis=analysis)


def test_a_layers_files_come_a_page_at_a_time_from_the_kept_analysis(client, many_files):
    base = f"/api/v1/verifications/{many_files.verification_id}/images/app/layers/1/files.json"
    first = valid_answer(client, base)
    assert (first["count"], first["pages"], first["page"], first["per_page"]) == (450, 3, 1, 200)
    assert first["previous"] is None and first["next"] == f"http://testserver{base}?page=2"
    assert first["totals"]["added"] == {"count": 450, "bytes": sum(range(450))}
    assert first["instruction"] == "RUN cp -r data /srv/data" and first["changes_truncated"] is False
    last = valid_answer(client, f"{base}?page=3")
    assert last["next"] is None and len(last["changes"]) == 50
    paths = [
        change["path"] for page in (1, 2, 3) for change in client.get(f"{base}?page={page}").json()["changes"]
    ]
    assert paths == sorted(f"/srv/data/file-{number:03d}.txt" for number in range(450))
    # The page's file tree reads the same kept list.
    tree = client.get(
        f"/verifications/{many_files.verification_id}/images/app/layers/1/files?under=/srv/data&format=json"
    )
    assert sorted(entry["path"] for entry in tree.json()["entries"]) == paths
    assert valid_answer(client, f"{base}?page=4", status=400)["parameter"] == "page"
    assert valid_answer(client, f"{base}?page=two", status=400)["parameter"] == "page"
    valid_answer(client, base.replace("/layers/1/", "/layers/2/"), status=404)
    valid_answer(client, base.replace("/images/app/", "/images/web/"), status=404)


def test_a_kept_analysis_gives_its_layers_a_files_url_only_where_files_are(client, many_files, catalog):
    # The stored result of pattern-0 has no layer analysis: nothing to link.
    image = client.get("/api/v1/patterns/pattern-0.json").json()["examples"][0]["last_result"]["images"][
        "app"
    ]
    assert image["analysis"] is None and image["dockerfile"] == "Dockerfile"


def test_an_unchanged_answer_is_a_304_and_a_changed_one_is_not(client, catalog):
    url = "/api/v1/patterns/pattern-0.json"
    first = client.get(url)
    etag, modified = first["ETag"], first["Last-Modified"]
    assert etag.startswith('"') and modified.endswith("GMT") and first["Cache-Control"] == "no-cache"
    assert client.get(url)["X-Page-Cache"] == "hit"
    again = client.get(url, HTTP_IF_NONE_MATCH=etag)  # from the page cache, and still a 304
    assert (again.status_code, again.content, again["ETag"]) == (304, b"", etag)
    assert client.get(url, HTTP_IF_MODIFIED_SINCE=modified).status_code == 304
    assert client.head(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
    assert client.get(url, HTTP_IF_NONE_MATCH='"something else"').status_code == 200
    # A new result changes the answer: a new ETag, and the old one no longer holds.
    finished(catalog["pattern-0"], "failed", passed_result(checks=(FAILING_CHECK,)), minutes_ago=1)
    cache.clear()
    changed = client.get(url, HTTP_IF_NONE_MATCH=etag)
    assert changed.status_code == 200 and changed["ETag"] != etag
    assert changed.json()["state"] == "failed"
    for path in ("/api/v1/patterns.json?kind=pattern", "/api/v1/openapi.json"):
        tag = client.get(path)["ETag"]
        assert client.get(path, HTTP_IF_NONE_MATCH=tag).status_code == 304


def test_any_origin_may_read_and_a_preflight_is_answered(client, catalog):
    for url in ("/api/v1/patterns.json", "/api/v1/patterns/pattern-0.json", "/api/v1/patterns/nope.json"):
        response = client.get(url, HTTP_ORIGIN="https://dashboard.example")
        assert response["Access-Control-Allow-Origin"] == "*"
        assert "ETag" in response["Access-Control-Expose-Headers"]
        assert "Access-Control-Allow-Credentials" not in response
    preflight = client.options(
        "/api/v1/patterns.json",
        HTTP_ORIGIN="https://dashboard.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
        HTTP_ACCESS_CONTROL_REQUEST_HEADERS="if-none-match",
    )
    assert preflight.status_code == 204
    assert preflight["Access-Control-Allow-Origin"] == "*"
    assert preflight["Access-Control-Allow-Methods"] == "GET, HEAD, OPTIONS"
    assert "If-None-Match" in preflight["Access-Control-Allow-Headers"]
    assert client.post("/api/v1/patterns.json").status_code in (403, 405)  # read-only
    assert "Access-Control-Allow-Origin" not in client.get("/patterns/pattern-0/")  # the API only


def test_the_list_and_a_detail_take_the_same_queries_however_many_runs_there_are(client, catalog):
    def queries(url: str) -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    urls = ("/api/v1/patterns/pattern-0.json", "/api/v1/patterns.json?category=runtime&state=passed")
    few = [queries(url) for url in urls]
    for minutes in range(4):
        for example in catalog.values():
            finished(example, "passed", passed_result(), minutes_ago=minutes + 0.5)
    assert [queries(url) for url in urls] == few


def test_every_pattern_of_the_real_catalog_answers_to_the_schema(client):
    assert sync_patterns(settings.PATTERNS_DIR).ok
    listing = valid_answer(client, "/api/v1/patterns.json")
    assert {pattern["kind"] for pattern in listing["patterns"]} == {
        "pattern",
        "anti-pattern",
        "principle",
        "platform",
    }
    for pattern in listing["patterns"]:
        detail = valid_answer(client, pattern["api_url"].removeprefix("http://testserver"))
        assert detail["slug"] == pattern["slug"] and detail["kind"] == pattern["kind"]
    for kind in ("principle", "platform"):
        assert valid_answer(client, f"/api/v1/patterns.json?kind={kind}")["count"] >= 1
