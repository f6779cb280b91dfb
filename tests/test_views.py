"""The catalog's pages and API through the test client: status, shape, query counts, cache, escaping."""

import io
import tarfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext

from catalog.content.importer import sync_patterns
from catalog.content.taxonomy import CATEGORY_SLUGS
from catalog.models import ExampleFile, Pattern, PatternRelation
from tests import factories

pytestmark = pytest.mark.django_db

BODY_ATTACKS = "\n\n".join(
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        "[y](data:text/html;base64,PHNjcmlwdD4=)",
        "<svg onload=alert(1)>",
        "<iframe src=//evil></iframe>",
        "<style>body{}</style>",
        "A harmless paragraph after the attacks.",
    ]
)
DOCKERFILE_ATTACK = "FROM busybox:1.35\n# </pre><script>alert(1)</script>\nCOPY hello.sh /hello.sh\n"


@pytest.fixture(autouse=True)
def fresh_cache(settings):
    """A private page cache per test, so no test reads another's pages."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


def write_catalog(root: Path, count: int) -> list[str]:
    """`count` valid patterns spread over every category, the later ones related to the first."""
    factories.write_bases(root)
    slugs = []
    for index in range(count):
        slug = f"pattern-{index}"
        categories = [CATEGORY_SLUGS[index % len(CATEGORY_SLUGS)]]
        if index % 3 == 1:
            categories.append(CATEGORY_SLUGS[(index + 1) % len(CATEGORY_SLUGS)])
        related = [{"pattern": "pattern-0", "relation": "uses"}] if index else None
        factories.write_pattern(
            root,
            slug,
            symbol=factories.symbol_for(index),
            name=f"Pattern number {index}",
            categories=categories,
            related=related,
        )
        slugs.append(slug)
    return slugs


def load(root: Path):
    report = sync_patterns(root)
    assert report.ok, [str(error) for error in report.errors]
    return report


@pytest.fixture
def catalog(tmp_path) -> list[str]:
    slugs = write_catalog(tmp_path, 5)
    load(tmp_path)
    return slugs


class Elements(HTMLParser):
    """Every start tag with its attributes, and which of them sit inside an element with `inside` id."""

    def __init__(self, inside: str = ""):
        super().__init__()
        self.inside, self.depth = inside, 0
        self.tags: list[tuple[str, dict]] = []
        self.inner: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        self.tags.append((tag, attributes))
        if self.depth:
            self.inner.append((tag, attributes))
            if tag not in VOID_TAGS:
                self.depth += 1
        elif self.inside and attributes.get("id") == self.inside:
            self.depth = 1

    def handle_endtag(self, tag):
        if self.depth and tag not in VOID_TAGS:
            self.depth -= 1


VOID_TAGS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}


def parse(html: str, inside: str = "") -> Elements:
    parser = Elements(inside)
    parser.feed(html)
    return parser


def test_pages_answer(client, catalog):
    assert client.get("/").status_code == 200
    assert client.get("/patterns/pattern-0/").status_code == 200
    assert client.get("/search/", {"q": "pattern"}).status_code == 200
    assert client.get("/search/").status_code == 200
    assert client.get("/api/patterns.json").status_code == 200
    assert client.get("/api/patterns/pattern-0.json").status_code == 200
    styles = client.get("/categories.css")
    assert styles.status_code == 200
    assert ".cat-runtime{--cat:#" in styles.content.decode()


def test_pages_keep_to_the_content_security_policy(client, catalog):
    """No inline script, style element or style attribute: the CSP would block them."""
    for url in ("/", "/?category=runtime", "/patterns/pattern-1/", "/search/?q=pattern", "/nope/"):
        response = client.get(url)
        assert "script-src 'self'" in response["Content-Security-Policy"]
        for tag, attributes in parse(response.content.decode()).tags:
            assert tag != "style", url
            assert "style" not in attributes, (url, tag, attributes)
            if tag == "script":
                assert attributes.get("src", "").startswith("/static/js/"), (url, attributes)


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.content == b"ok\n"


def test_unknown_pattern_gets_the_friendly_404(client, catalog):
    response = client.get("/patterns/no-such-pattern/")
    assert response.status_code == 404
    page = response.content.decode()
    assert "This page is not in the catalog" in page
    assert 'action="/search/"' in page
    assert client.get("/api/patterns/no-such-pattern.json").status_code == 404


def test_500_page_needs_no_database_and_no_request():
    with CaptureQueriesContext(connection) as queries:
        page = render_to_string("500.html")
    assert len(queries) == 0
    assert "Something went wrong" in page
    assert "/static/css/site.css" in page


def test_home_shows_every_pattern_as_a_tile(client, catalog):
    page = client.get("/").content.decode()
    tiles = [attrs for tag, attrs in parse(page).tags if tag == "li" and "tile" in attrs.get("class", "")]
    assert len(tiles) == 5
    assert all("hidden" not in tile for tile in tiles)
    assert {tile["data-kind"] for tile in tiles} == {"pattern"}
    assert "/static/js/table-filter.js" in page
    assert "/categories.css" in page
    assert 'class="element cat-distribution cat2-runtime element--split"' in page  # pattern-1


def test_category_filter_link_hides_the_other_tiles(client, catalog):
    response = client.get("/", {"category": "runtime"})
    tiles = [
        attrs
        for tag, attrs in parse(response.content.decode()).tags
        if tag == "li" and "tile" in attrs.get("class", "")
    ]
    shown = [tile for tile in tiles if "hidden" not in tile]
    hidden = [tile for tile in tiles if "hidden" in tile]
    assert shown and hidden
    assert all("runtime" in tile["data-categories"].split() for tile in shown)
    assert all("runtime" not in tile["data-categories"].split() for tile in hidden)
    page = response.content.decode()
    assert 'href="/?category=runtime" data-filter="category" data-value="runtime" aria-current="true"' in page
    assert f"Showing {len(shown)} of 5 patterns." in page


def test_kind_filter_with_no_match_says_so(client, catalog):
    page = client.get("/", {"kind": "anti-pattern"}).content.decode()
    tiles = [attrs for tag, attrs in parse(page).tags if tag == "li" and "tile" in attrs.get("class", "")]
    assert tiles and all("hidden" in tile for tile in tiles)
    empty = [attrs for tag, attrs in parse(page).tags if attrs.get("id") == "table-empty"]
    assert empty and "hidden" not in empty[0]


def test_pattern_page_shows_body_examples_and_panels(client, catalog):
    page = client.get("/patterns/pattern-1/").content.decode()
    assert "Pattern number 1" in page
    assert '<div class="toc">' in page
    assert 'id="problem"' in page
    assert "/patterns/pattern-1/examples/hello.tar.gz" in page
    assert 'data-copy-target="hello-file-1-code"' in page
    assert 'data-copy-target="hello-command-1"' in page  # every example says how to try it
    assert "Not run yet in this form: the next verification runs it." in page
    assert "Not verified yet: no verification has run for this example" in page.replace("</strong>", "")
    assert 'class="line"' in page  # highlighted, one span per line
    assert "Uses" in page and 'href="/patterns/pattern-0/"' in page
    assert "Containers Patterns" in page and "Mario Loriedo" in page
    assert "/static/js/copy.js" in page


def test_pattern_page_shows_commands_and_host_access(client, tmp_path):
    factories.write_bases(tmp_path)
    example = factories.scenario(
        commands=[{"title": "Build it", "run": "docker build -t hello ."}],
        host_access=["docker-socket"],
    )
    factories.write_pattern(tmp_path, "socket-user", symbol="Su", example=example)
    load(tmp_path)
    page = client.get("/patterns/socket-user/").content.decode()
    assert 'data-copy-target="hello-command-1"' in page
    assert '<code id="hello-command-1">docker build -t hello .</code>' in page
    assert "Needs host access: docker-socket." in page


def test_example_archive_is_a_tar_gz_with_exec_bits(client, catalog):
    response = client.get("/patterns/pattern-0/examples/hello.tar.gz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/gzip"
    assert 'filename="pattern-0-hello.tar.gz"' in response["Content-Disposition"]
    with tarfile.open(fileobj=io.BytesIO(response.content), mode="r:gz") as archive:
        members = {member.name: member for member in archive.getmembers()}
        assert {"pattern-0-hello/Dockerfile", "pattern-0-hello/hello.sh"} <= set(members)
        assert members["pattern-0-hello/hello.sh"].mode == 0o755
        assert members["pattern-0-hello/Dockerfile"].mode == 0o644
        assert (
            archive.extractfile(members["pattern-0-hello/Dockerfile"]).read().decode() == factories.DOCKERFILE
        )
    assert client.get("/patterns/pattern-0/examples/nope.tar.gz").status_code == 404


def test_api_list_and_detail_shape(client, catalog):
    listing = client.get("/api/patterns.json").json()
    assert [item["slug"] for item in listing["patterns"]][:1] == ["pattern-0"]
    assert len(listing["patterns"]) == 5
    first = listing["patterns"][0]
    shown = {"slug", "name", "symbol", "kind", "categories", "summary", "state", "url", "api_url"}
    assert set(first) == shown
    assert first["url"] == "http://testserver/patterns/pattern-0/"

    detail = client.get("/api/patterns/pattern-1.json").json()
    assert set(detail) >= set(first) | {"body_markdown", "sources", "related", "examples"}
    assert detail["categories"] == ["distribution", "runtime"]
    assert detail["related"] == [{"pattern": "pattern-0", "relation": "uses"}]
    [example] = detail["examples"]
    assert example["archive_url"].endswith("/patterns/pattern-1/examples/hello.tar.gz")
    files = {file["path"]: file for file in example["files"]}
    assert files["Dockerfile"] == {
        "path": "Dockerfile",
        "language": "docker",
        "executable": False,
        "content": factories.DOCKERFILE,
    }
    assert files["hello.sh"]["executable"] is True


def test_search_ranks_a_name_match_above_a_body_match(client, tmp_path):
    factories.write_bases(tmp_path)
    factories.write_pattern(tmp_path, "in-the-body", symbol="Ib", text=None)
    readme = tmp_path / "in-the-body" / "README.md"
    readme.write_text(readme.read_text().replace("Text about problem.", "A lighthouse guides ships."))
    factories.write_pattern(tmp_path, "lighthouse-pattern", symbol="Lh", name="Lighthouse Container")
    load(tmp_path)
    response = client.get("/search/", {"q": "lighthouse"})
    page = response.content.decode()
    assert page.index("Lighthouse Container") < page.index("In The Body")
    assert "2 patterns match" in page
    assert "<mark>" in page


def test_search_without_results_helps(client, catalog):
    page = client.get("/search/", {"q": "zebra"}).content.decode()
    assert "No pattern matches" in page
    assert "periodic table" in page


def test_second_request_is_served_from_the_page_cache_without_sql(client, catalog):
    for url in ("/", "/patterns/pattern-0/", "/search/?q=pattern"):
        assert client.get(url)["X-Page-Cache"] == "miss"
        with CaptureQueriesContext(connection) as queries:
            again = client.get(url)
        assert again["X-Page-Cache"] == "hit"
        assert len(queries) == 0, url


def count_queries(client, url: str) -> int:
    cache.clear()  # every request below must be rendered, not answered from the page cache
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert response["X-Page-Cache"] == "miss"
    return len(queries)


def test_query_count_does_not_grow_with_the_catalog(client, tmp_path):
    urls = ("/", "/patterns/pattern-0/", "/patterns/pattern-1/", "/search/?q=summary", "/api/patterns.json")
    write_catalog(tmp_path, 5)
    load(tmp_path)
    small = {url: count_queries(client, url) for url in urls}
    write_catalog(tmp_path, 300)
    assert load(tmp_path).created == 295
    large = {url: count_queries(client, url) for url in urls}
    assert large == small
    assert client.get("/").content.decode().count('class="tile"') == 300


def test_body_markup_from_an_author_is_inert(client, tmp_path):
    factories.write_bases(tmp_path)
    meta = factories.front_matter("hostile", symbol="Ho")
    readme = "---\n" + yaml.safe_dump(meta) + "---\n" + factories.body(BODY_ATTACKS)
    factories.write_pattern(
        tmp_path,
        "hostile",
        text=readme,
        files={"Dockerfile": DOCKERFILE_ATTACK, "hello.sh": factories.SCRIPT},
    )
    load(tmp_path)
    page = client.get("/patterns/hostile/").content.decode()
    assert "A harmless paragraph after the attacks." in page

    elements = parse(page, inside="pattern-body")
    assert elements.inner, "the body was not found"
    inner_tags = {tag for tag, _ in elements.inner}
    assert not inner_tags & {"script", "iframe", "style", "svg", "img", "object", "embed"}
    for tag, attributes in elements.tags:
        assert not any(name.startswith("on") for name in attributes), (tag, attributes)
        href = (attributes.get("href") or attributes.get("src") or "").strip().lower()
        assert not href.startswith(("javascript:", "data:", "//evil")), (tag, attributes)
        if tag == "script":
            assert attributes.get("src", "").startswith("/static/js/"), attributes
    assert "<script>alert(1)" not in page
    assert "onerror=" not in page and "onload=" not in page

    # The Dockerfile reaches the page as text: its markup is escaped inside the highlighted code.
    assert "</pre><script>" not in page
    assert "&lt;/pre&gt;&lt;script&gt;alert(1)&lt;/script&gt;" in page
    stored = ExampleFile.objects.get(example__pattern__slug="hostile", path="Dockerfile")
    assert stored.content == DOCKERFILE_ATTACK


def test_search_snippet_and_query_are_escaped(client, tmp_path):
    factories.write_bases(tmp_path)
    factories.write_pattern(tmp_path, "angle", symbol="An", summary="Uses <b>angle</b> brackets & more.")
    load(tmp_path)
    page = client.get("/search/", {"q": "angle"}).content.decode()
    assert "Uses &lt;b&gt;angle&lt;/b&gt; brackets &amp; more." in page
    assert "<mark>angle</mark>" in page.lower()  # the snippet marks the match
    assert "<b>" not in page  # ... and escapes the author's markup around it
    page = client.get("/search/", {"q": "<script>alert(1)</script>"}).content.decode()
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_related_patterns_are_listed_by_name_whatever_order_their_rows_were_made_in(client, catalog):
    # The importer saves relations in a set's order, which changes from one sync to the next.
    target = Pattern.objects.get(slug="pattern-0")
    names = sorted(Pattern.objects.exclude(pk=target.pk).values_list("name", flat=True))
    PatternRelation.objects.filter(target=target).delete()
    for name in reversed(names):
        PatternRelation.objects.create(source=Pattern.objects.get(name=name), target=target, relation="uses")
    html = client.get("/patterns/pattern-0/").content.decode()
    section = html[html.index('id="related"') :]
    assert sorted(names, key=section.index) == names
