"""The handout through the test client: per item the summary, QR code and link, files, commands with their
last results and the numbers of the last verification; cuts, paper sizes, who may see it, its query count."""

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.content.importer import sync_patterns
from catalog.models import Example, Workshop
from catalog.workshops.handout import qr_svg
from catalog.workshops.owned import save_as_own
from catalog.workshops.uploads import read_upload
from tests import factories
from tests.verification_results import build_failed_result, finished
from tests.workshop_files import measured_result, synced_site, workshop, write_workshop

pytestmark = pytest.mark.django_db

URL = "/workshops/morning/handout/"


@pytest.fixture
def site(tmp_path):
    return synced_site(tmp_path)


def page(client, url: str = URL) -> str:
    response = client.get(url)
    assert response.status_code == 200
    return response.content.decode()


def test_each_item_has_its_summary_link_files_commands_and_numbers(client, site):
    result = measured_result({"busybox:1.35": 2_000_000}, seconds=4.2)
    result["commands"] = [
        {
            "index": 0,
            "title": "Build and run it",
            "run": "docker build -t hello . && docker run --rm hello",
            "expected": "exits 0",
            "status": "passed",
            "exit_code": 0,
            "duration": 1.25,
            "output": "hello from the example\n",
        }
    ]
    verification = finished(Example.objects.get(pattern__slug="pattern-0"), "passed", result)
    html = page(client)
    assert "<h1>Containers in a morning</h1>" in html
    assert html.index("Pattern number 0") < html.index("Pattern number 1") < html.index("Pattern number 2")
    assert "Summary of pattern-0." in html
    assert 'href="http://testserver/patterns/pattern-0/">testserver/patterns/pattern-0/</a>' in html
    assert html.count('<svg role="img" aria-label="QR code of the link to Pattern number') == 3
    assert '<span class="line">' in html and "hello.sh" in html  # highlighted files
    assert "<code>Dockerfile</code>" in html and "<code>example.yaml</code>" not in html  # not the scenario
    assert "docker build -t hello . &amp;&amp; docker run --rm hello</code></pre>" in html
    assert "Last run: did what it says, exit 0 in 1.3 s." in html
    assert "Passed 3 of 3 checks in 4.2 s" in html and "on Docker 20.10.24, x86_64" in html
    assert verification.finished_at.strftime("%Y-%m-%d %H:%M") + " UTC" in html
    assert "Image <code>app</code>: 1.99 MB, 2 layers." in html
    assert html.count("Not verified yet:") == 2
    assert '<link rel="stylesheet" href="/static/css/paper-a4.css" media="print">' in html
    assert '<a href="?paper=a4" aria-current="page">A4</a>' in html


def test_a_failed_or_outdated_verification_says_so(client, site):
    example = Example.objects.get(pattern__slug="pattern-1")
    finished(example, "failed", build_failed_result())
    finished(
        Example.objects.get(pattern__slug="pattern-2"), "passed", measured_result({}), example_hash="old"
    )
    html = page(client)
    assert "Failed: " in html
    assert "Its files changed since: these numbers are of the earlier version." in html


def test_a_cut_and_a_paper_size(client, site):
    html = page(client, URL + "?cut=short&paper=letter")
    assert "Pattern number 1" not in html  # an extra, which the cut drops
    assert "Short version, 40 min" in html
    assert '<link rel="stylesheet" href="/static/css/paper-letter.css" media="print">' in html
    assert '<a href="?cut=short&amp;paper=a4">A4</a>' in html
    assert client.get(URL + "?cut=nope").status_code == 404
    assert client.get(URL + "?paper=a3").status_code == 404
    assert client.get("/workshops/nope/handout/").status_code == 404


def test_the_workshop_page_links_to_its_handout(client, site):
    html = page(client, "/workshops/morning/?cut=short")
    assert 'href="/workshops/morning/handout/?cut=short">Handout</a>' in html


def test_a_trainers_handout_is_for_its_owner(client, site):
    owner = User.objects.create_user("ada", password="a long passphrase of words")
    source, _ = read_upload((site[1] / "morning.yaml").read_bytes(), "morning.yaml")
    mine = save_as_own(source, owner)
    url = f"/workshops/{mine.slug}/handout/"
    assert client.get(url).status_code == 404
    client.force_login(owner)
    assert "Pattern number 2" in page(client, url)


def test_the_qr_code_is_inline_svg_with_an_escaped_label():
    svg = qr_svg("http://example.test/patterns/x/", "<Sidecar & co>")
    assert svg.startswith('<svg role="img" aria-label="QR code of the link to &lt;Sidecar &amp; co&gt;: ')
    assert "viewBox" in svg and "<script" not in svg and "style=" not in svg


def count_queries(client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_the_query_count_does_not_grow_with_the_items(client, tmp_path):
    tree, folder = tmp_path / "patterns", tmp_path / "workshops"
    factories.write_tree(tree, count=2)
    items = [{"pattern": f"pattern-{n}", "minutes": 1, "depth": "core"} for n in range(20)]
    write_workshop(
        folder, data=workshop(duration="10h", parts=[{"title": "All", "items": items[:2]}], cuts=None)
    )
    assert sync_patterns(tree, folder).ok
    for example in Example.objects.all():
        finished(example, "passed", measured_result({"busybox:1.35": 2_000_000}))
    few = count_queries(client, URL)

    factories.write_tree(tree, count=20)
    write_workshop(folder, data=workshop(duration="10h", parts=[{"title": "All", "items": items}], cuts=None))
    assert sync_patterns(tree, folder).ok
    for example in Example.objects.filter(verifications=None):
        finished(example, "passed", measured_result({"busybox:1.35": 2_000_000}))
    assert Workshop.objects.get().parts.get().items.count() == 20
    assert count_queries(client, URL) <= few
