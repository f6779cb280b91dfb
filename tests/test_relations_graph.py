"""The relations page: every relation drawn and listed, every pattern a link, queries that do not grow."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from catalog.content.importer import sync_patterns
from catalog.diagrams.relations_svg import GraphEdge, GraphGroup, GraphNode, relations_svg
from catalog.models import Pattern, PatternRelation
from catalog.relations_graph import SENTENCE_WORDS
from tests import factories

pytestmark = pytest.mark.django_db
SVG = "{http://www.w3.org/2000/svg}"


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


def graph(html: str) -> ET.Element:
    return ET.fromstring(re.search(r'<svg [^>]*class="relations-graph".*?</svg>', html, re.S).group())


def groups_of(root: ET.Element, css: str) -> list[ET.Element]:
    return [g for g in root.iter(f"{SVG}g") if css in g.get("class", "").split()]


@pytest.fixture
def real_catalog(settings):
    report = sync_patterns(Path(settings.PATTERNS_DIR))
    assert report.ok, [str(error) for error in report.errors]


def test_every_relation_of_the_real_catalog_is_drawn_and_listed(client, real_catalog):
    html = client.get("/relations/").content.decode()
    root = graph(html)
    relations = PatternRelation.objects.filter(source__published=True, target__published=True).select_related(
        "source", "target"
    )
    expected = {(r.relation, r.source.slug, r.target.slug) for r in relations}
    assert expected
    drawn = [
        (g.get("data-kind"), g.get("data-source"), g.get("data-target"))
        for g in groups_of(root, "relations-graph__edge")
    ]
    assert sorted(drawn) == sorted(expected)
    # The same arcs, repeated hidden at the pattern they name, for hovering and arriving there.
    echoes = groups_of(root, "relations-graph__echo")
    assert sorted((g.get("data-kind"), g.get("data-source"), g.get("data-target")) for g in echoes) == sorted(
        expected
    )
    assert all(g.get("visibility") == "hidden" for g in echoes)
    for relation in relations:
        sentence = (
            f'<a href="{relation.source.get_absolute_url()}">{relation.source.name}</a> '
            f"{SENTENCE_WORDS[relation.relation]} "
            f'<a href="{relation.target.get_absolute_url()}">{relation.target.name}</a>'
        )
        assert sentence in html, sentence


def test_every_published_pattern_is_a_node_that_links_to_its_page(client, real_catalog):
    root = graph(client.get("/relations/").content.decode())
    links = {}
    for node in groups_of(root, "relations-graph__node"):
        assert node.get("id") == f"node-{node.get('data-slug')}"
        links[node.get("data-slug")] = node.find(f"{SVG}a").get("href")  # SVG 2: a plain href, no xlink
    published = Pattern.objects.published()
    assert links == {pattern.slug: pattern.get_absolute_url() for pattern in published}
    # A group, not an img: an img's content is hidden from assistive technology, its links with it.
    assert root.get("role") == "group" and root.find(f"{SVG}title").text == "How the patterns relate"


def test_the_home_page_and_every_pattern_page_lead_to_the_graph(client, real_catalog):
    assert 'href="/relations/"' in client.get("/").content.decode()
    for pattern in Pattern.objects.published():
        html = client.get(pattern.get_absolute_url()).content.decode()
        assert 'href="/relations/' in html, pattern.slug
        if pattern.relations_out.exists() or pattern.relations_in.exists():
            assert f'href="/relations/#node-{pattern.slug}"' in html, pattern.slug


def test_every_kind_of_relation_has_its_words():
    assert set(SENTENCE_WORDS) == set(PatternRelation.Relation.values)


def write_related_catalog(root: Path, count: int) -> None:
    factories.write_bases(root)
    for index in range(count):
        related = [{"pattern": "pattern-0", "relation": "uses"}] if index else None
        factories.write_pattern(root, f"pattern-{index}", symbol=factories.symbol_for(index), related=related)


def queries_for(client, url: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_query_count_does_not_grow_with_the_catalog(client, tmp_path):
    write_related_catalog(tmp_path, 4)
    assert sync_patterns(tmp_path).ok
    small = queries_for(client, "/relations/")
    write_related_catalog(tmp_path, 60)
    assert sync_patterns(tmp_path).ok
    assert queries_for(client, "/relations/") == small
    assert len(groups_of(graph(client.get("/relations/").content.decode()), "relations-graph__edge")) == 59


def test_the_page_has_no_inline_style_and_renders_the_same_twice(client, tmp_path):
    write_related_catalog(tmp_path, 5)
    assert sync_patterns(tmp_path).ok
    first = client.get("/relations/").content.decode()
    cache.clear()
    assert client.get("/relations/").content.decode() == first
    assert "style=" not in first and "<style" not in first


HOSTILE = '<script>alert("x")</script>&amp;'


def test_every_name_and_link_is_escaped():
    nodes = (GraphNode(HOSTILE, HOSTILE, f'/p/"{HOSTILE}'), GraphNode("b", "B", "/b/"))
    svg = relations_svg(
        [GraphGroup(HOSTILE, nodes)],
        [GraphEdge(HOSTILE, HOSTILE, "b"), GraphEdge("b", "uses", HOSTILE)],
        {"uses": HOSTILE},
    )
    assert "<script>" not in svg
    root = ET.fromstring(svg)
    assert HOSTILE in "".join(root.itertext())
    assert {g.get("data-source") for g in groups_of(root, "relations-graph__edge")} == {HOSTILE, "b"}
    assert groups_of(root, "relations-graph__node")[0].find(f"{SVG}a").get("href") == f'/p/"{HOSTILE}'
