"""The workshop pages through the test client: content, accessibility, cuts, escaping and query counts."""

from html.parser import HTMLParser

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.content.importer import sync_patterns
from catalog.models import Example, Workshop
from tests import factories
from tests.verification_results import build_failed_result, finished, passed_result
from tests.workshop_files import measured_result, synced_site, workshop, write_site, write_workshop

pytestmark = pytest.mark.django_db

URL = "/workshops/morning/"


@pytest.fixture
def site(tmp_path):
    return synced_site(tmp_path)


def verify(pattern: str, state: str = "passed") -> None:
    result = measured_result({"busybox:1.35": 2_000_000}) if state == "passed" else build_failed_result()
    finished(Example.objects.get(pattern__slug=pattern), state, result)


def page(client, url: str = URL) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


class Tables(HTMLParser):
    """Captions and header cells of every table, to check the agenda is a real, labelled table."""

    def __init__(self):
        super().__init__()
        self.captions, self.headers, self._in = [], [], None

    def handle_starttag(self, tag, attrs):
        if tag == "caption":
            self._in = "caption"
            self.captions.append("")
        if tag == "th":
            self.headers.append(dict(attrs).get("scope"))

    def handle_endtag(self, tag):
        if tag == "caption":
            self._in = None

    def handle_data(self, data):
        if self._in == "caption":
            self.captions[-1] += data


def test_the_list_shows_published_workshops_only(client, site):
    tree, folder = site
    write_workshop(folder, "evening", workshop(title="Containers at night"))
    assert sync_patterns(tree, folder).ok
    (folder / "evening.yaml").unlink()
    assert sync_patterns(tree, folder).workshops.removed == 1
    html = page(client, "/workshops/")
    assert 'href="/workshops/morning/"' in html and "Containers in a morning" in html
    assert "Containers at night" not in html
    assert "1 h · 3 patterns · for people who build images" in html
    assert client.get("/workshops/evening/").status_code == 404


def test_the_navigation_links_to_workshops(client, site):
    assert '<a href="/workshops/">Workshops</a>' in page(client, "/")
    assert '<a href="/workshops/" aria-current="page">Workshops</a>' in page(client, "/workshops/")


def test_the_page_shows_summary_readiness_agenda_notes_and_cuts(client, site):
    for pattern in ("pattern-0", "pattern-1", "pattern-2"):
        verify(pattern)
    html = page(client)
    assert "Three patterns, shown and measured." in html
    assert "people who build images" in html
    assert "All 3 examples passed on Docker 20.10.24, x86_64</strong>, <time" in html
    assert "<p>Ask the <strong>room</strong>.</p>" in html
    assert 'href="/workshops/morning/?cut=short"' in html
    assert '<a href="/workshops/morning/" aria-current="page">' in html
    assert "15 min of the 60 are left for breaks and questions." in html
    assert "4.2 s" in html and "2 MB" in html
    tables = Tables()
    tables.feed(html)
    assert [" ".join(c.split()) for c in tables.captions] == [
        "Part 1: First steps 35 min",
        "Part 2: Going further 10 min",
        "In all",
    ]
    assert set(tables.headers) == {"col", "row"}


def test_a_failed_example_is_linked_from_the_readiness_line(client, site):
    verify("pattern-0")
    verify("pattern-1", "failed")
    html = page(client)
    assert "Not ready: 2 of 3 examples need attention" in html
    assert (
        '<a href="/patterns/pattern-1/#verification-hello">Pattern number 1 (<code>hello</code>)</a>' in html
    )
    assert "failed its last run" in html and "has never been verified" in html


def test_a_cut_is_chosen_with_a_plain_link(client, site):
    html = page(client, URL + "?cut=short")
    assert '<a href="/workshops/morning/?cut=short" aria-current="page">' in html
    assert "Left out of this cut" in html
    assert 'Part 1: First steps <span class="count">20 min</span>' in html
    assert client.get(URL + "?cut=nope").status_code == 404


def test_a_workshop_that_does_not_fit_says_so(client, tmp_path):
    tree, folder = write_site(tmp_path, data=workshop(duration="40m", cuts=None))
    assert sync_patterns(tree, folder).ok
    html = page(client)
    assert "It does not fit." in html
    assert "5 min more than the 40 min of the workshop" in html


def test_unknown_workshop_is_a_404(client, site):
    assert client.get("/workshops/no-such-workshop/").status_code == 404


def test_what_authors_write_is_escaped_or_sanitised(client, tmp_path):
    data = workshop(title="<script>alert(1)</script>", summary="<b>bold</b>")
    data["parts"][0]["items"][0]["notes"] = "<script>alert(2)</script>\n\n<img src=x onerror=alert(3)>"
    tree, folder = write_site(tmp_path, data=data)
    assert sync_patterns(tree, folder).ok
    html = page(client)
    assert "<script>alert" not in html and "onerror" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def count_queries(client, url: str) -> int:
    cache.clear()  # rendered, not answered from the page cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert response["X-Page-Cache"] == "miss"
    return len(queries)


def big_workshop(count: int) -> dict:
    items = [
        {"pattern": f"pattern-{i}", "minutes": 1, "depth": "core" if i % 2 else "extra"} for i in range(count)
    ]
    return workshop(
        duration="10h",
        parts=[{"title": "Everything", "items": items}],
        cuts=[{"name": "short", "title": "Short", "duration": "5h", "drop_depth": ["extra"]}],
    )


@pytest.mark.parametrize("url", [URL, URL + "?cut=short", "/workshops/"])
def test_query_count_does_not_grow_with_the_items(client, tmp_path, url, django_assert_max_num_queries):
    tree, folder = tmp_path / "patterns", tmp_path / "workshops"
    factories.write_tree(tree, count=3)
    write_workshop(folder, data=big_workshop(3))
    assert sync_patterns(tree, folder).ok
    for example in Example.objects.all():
        finished(example, "passed", measured_result({"busybox:1.35": 2_000_000}))
        finished(example, "failed", build_failed_result(), minutes_ago=1)
    small = count_queries(client, url)

    factories.write_tree(tree, count=40)
    write_workshop(folder, data=big_workshop(40))
    assert sync_patterns(tree, folder).ok
    for example in Example.objects.filter(verifications=None):
        finished(example, "passed", measured_result({"busybox:1.35": 2_000_000, f"x{example.pk}:1": 1}))
    assert Workshop.objects.get().parts.get().items.count() == 40
    cache.clear()
    with django_assert_max_num_queries(small):
        assert client.get(url).status_code == 200


def test_sizes_measured_on_stand_ins_and_unknown_sizes_are_said(client, site):
    # passed_result's run built on the busybox stand-in and read a pulled Debian; it measured busybox only.
    result = passed_result()
    result["environment"]["bases"][0]["layers"] = [{"diff_id": "sha256:" + "ab" * 32, "size": 900_000}]
    finished(Example.objects.get(pattern__slug="pattern-0"), "passed", result)
    html = page(client)
    assert "Measured on offline stand-ins of busybox:1.35: the published image may be larger." in html
    assert "No verification measured the download of debian:bookworm-slim; the total leaves it out." in html
