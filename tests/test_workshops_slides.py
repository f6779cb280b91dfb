"""A workshop's slides are generated from the catalog's rows: which slides, from which data, in a fixed number
of queries (catalog/workshops/slides.py, deck.py and key_lines.py)."""

import dataclasses
import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from catalog.content.importer import sync_patterns
from catalog.content.rendering import highlight_file
from catalog.models import Example
from catalog.workshops.deck import load_deck
from catalog.workshops.key_lines import key_lines
from catalog.workshops.slides import split_evenly
from tests import factories
from tests.verification_results import HOSTILE, finished, passed_result
from tests.workshop_files import synced_site, workshop, write_workshop
from worker.contract.results import CommandResult

pytestmark = pytest.mark.django_db

RUN = "docker build -t hello . && docker run --rm hello"


def with_commands(*results: CommandResult) -> dict:
    stored = passed_result()
    stored["commands"] = [dataclasses.asdict(result) for result in results]
    return stored


def one_part(patterns: list[str]) -> dict:
    """A workshop of one part with these patterns, every other one an extra, and a cut without the extras."""
    items = [
        {"pattern": slug, "minutes": 1, "depth": "extra" if n % 2 else "core"}
        for n, slug in enumerate(patterns)
    ]
    return workshop(
        duration="10h",
        parts=[{"title": "Everything", "items": items}],
        cuts=[{"name": "short", "title": "Short", "duration": "5h", "drop_depth": ["extra"]}],
    )


def verify(pattern: str, result: dict | None = None) -> None:
    example = Example.objects.get(pattern__slug=pattern)
    ran = CommandResult(
        0, "Build and run it", RUN, "exits 0", "passed", 0, "Step 1/3\nhello from the example\n", 1.2
    )
    finished(example, "passed", result or with_commands(ran))


@pytest.fixture
def site(tmp_path):
    return synced_site(tmp_path)


def kinds(deck) -> list[str]:
    return [slide.kind for slide in deck.slides]


def test_the_deck_is_the_title_the_agenda_and_per_part_and_item_slides_from_the_catalog(site):
    verify("pattern-0")
    deck = load_deck("morning")
    assert kinds(deck) == [
        "title", "agenda",
        "part", "pattern", "dockerfile", "commands", "result", "layers",  # pattern-0, verified
        "pattern", "dockerfile", "commands", "result",  # pattern-1: never verified, so no chart
        "part", "pattern", "dockerfile", "commands", "result",
    ]  # fmt: skip
    title, _, part, pattern, dockerfile, commands, result, layers = deck.slides[:8]
    assert title.title == "Containers in a morning" and "15 min are left" in title.notes_text
    assert [line.item.pattern.slug for line in deck.agenda.items] == ["pattern-0", "pattern-1", "pattern-2"]
    assert part.title == "Part 1: First steps" and part.notes_text.startswith("35 min for this part")
    # The pattern and its problem in a sentence: the pattern's summary, and the examples shown.
    assert pattern.line.item.pattern.summary == "Summary of pattern-0."
    assert [shown.example.slug for shown in pattern.examples] == ["hello"]
    # The item's speaker notes go with every one of its slides.
    assert all("<strong>room</strong>" in slide.notes_html for slide in deck.slides[3:8])
    assert not deck.slides[8].notes_html  # pattern-1 has none
    # The key Dockerfile lines, highlighted at sync.
    (file,) = dockerfile.shown.dockerfiles
    assert file.path == "Dockerfile" and ">FROM</span>" in file.html and file.shown == 3
    # The commands with what the last verification saw them do.
    (line,) = commands.commands
    assert line.row.command.run == RUN and line.row.result.status == "passed"
    assert line.printed == "hello from the example"
    # The verified result: its checks, images and the stored layer chart.
    report = result.shown.report
    assert (report.passed_checks, len(report.checks)) == (3, 3)
    assert [image.name for image in report.images] == ["app"]
    assert layers.shown.charts[0].chart.startswith("<svg")
    assert deck.slides[11].shown.report is None  # pattern-1's result slide: not verified yet


def test_a_cut_leaves_out_the_slides_of_the_items_it_drops(site):
    deck = load_deck("morning", "short")
    assert deck.cut.name == "short"
    patterns = [slide.line.item.pattern.slug for slide in deck.slides if slide.kind == "pattern"]
    assert patterns == ["pattern-0", "pattern-2"]  # pattern-1 is an extra
    agenda = deck.slides[1]
    assert agenda.kind == "agenda" and len(deck.agenda.items) == 2
    with pytest.raises(Http404):
        load_deck("morning", "no-such-cut")
    with pytest.raises(Http404):
        load_deck("no-such-workshop")


def test_before_and_after_numbers_come_from_the_run(tmp_path):
    tree, folder = tmp_path / "patterns", tmp_path / "workshops"
    factories.write_tree(tree, count=3)
    factories.write_anti_pattern(tree, fixed_by="pattern-0")
    data = one_part(["bad"])
    write_workshop(folder, data=data)
    assert sync_patterns(tree, folder).ok
    finished(Example.objects.get(pattern__slug="bad"), "passed", passed_result())
    result = next(slide for slide in load_deck("morning").slides if slide.kind == "result")
    sides = result.shown.report.before_after
    assert [heading for heading, _, _ in sides.columns] == ["Before: the anti-pattern", "After: the fix"]
    # passed_result's checks: two of step 1 (the mistake's side), one of step 2 (the fix's).
    assert [check.name for check in sides.before] == ["exit_code", "output_contains"]
    assert [check.observed for check in sides.after] == ["1.99 MB"]


def test_many_commands_are_shared_evenly_over_slides(tmp_path):
    tree, folder = tmp_path / "patterns", tmp_path / "workshops"
    factories.write_tree(tree, count=3)
    commands = [{"title": f"Step {n}", "run": f"echo {n}"} for n in range(1, 8)]
    example = factories.scenario(commands=commands)
    factories.write_pattern(tree, "pattern-0", symbol="Paa", name="Pattern number 0", example=example)
    write_workshop(folder)
    assert sync_patterns(tree, folder).ok
    slides = [slide for slide in load_deck("morning").slides if slide.kind == "commands"][:2]
    assert [[line.number for line in slide.commands] for slide in slides] == [[1, 2, 3, 4], [5, 6, 7]]
    assert [slide.page for slide in slides] == [(1, 2), (2, 2)]
    assert slides[1].title == "Pattern number 0: try “Says hello” (2 of 2)"
    assert split_evenly((1, 2, 3, 4, 5, 6), 5) == [(1, 2, 3), (4, 5, 6)] and split_evenly((), 5) == []


def test_every_dockerfile_the_images_are_built_from_is_shown_in_the_scenarios_order(tmp_path):
    tree, folder = tmp_path / "patterns", tmp_path / "workshops"
    factories.write_tree(tree, count=3)
    files = {
        "Dockerfile": factories.DOCKERFILE,
        "Dockerfile.fixed": factories.DOCKERFILE,
        "hello.sh": factories.SCRIPT,
    }
    images = {"fixed": {"dockerfile": "Dockerfile.fixed"}, "app": {"dockerfile": "Dockerfile"}}
    steps = [{"run": {"image": "fixed"}, "expect": {"exit_code": 0, "output_contains": "hello"}}]
    example = factories.scenario(images=images, steps=steps)
    factories.write_pattern(tree, "pattern-0", symbol="Paa", example=example, files=files)
    write_workshop(folder)
    report = sync_patterns(tree, folder)
    assert report.ok, [str(error) for error in report.errors]
    dockerfile = next(slide for slide in load_deck("morning").slides if slide.kind == "dockerfile")
    assert [file.path for file in dockerfile.shown.dockerfiles] == ["Dockerfile.fixed", "Dockerfile"]


def test_key_lines_leave_out_comments_and_blank_lines_and_keep_the_files_line_numbers():
    content = "# syntax is a comment here\nFROM busybox:1.35\n\n# why\nRUN echo '<b>' \\\n  && true\n"
    content += "".join(f"ENV N{n}={n}\n" for n in range(20))
    lines = key_lines("Dockerfile", content, highlight_file("Dockerfile", content)[0], limit=5)
    assert re.findall(r'data-line="(\d+)"', lines.html) == ["2", "5", "6", "7", "8"]
    assert (lines.shown, lines.left_out) == (5, 18)
    assert "&#39;&lt;b&gt;&#39;" in lines.html or "&lt;b&gt;" in lines.html  # Pygments' escaping, kept
    assert "why" not in lines.html and "<b>" not in lines.html
    assert lines.html.startswith('<div class="highlight"><pre>') and lines.html.endswith("</pre></div>\n")


def test_the_page_shows_one_section_per_slide_with_escaped_output_and_the_notes(client, site):
    ran = CommandResult(0, "Build and run it", RUN, "exits 0", "passed", 0, f"hello {HOSTILE}\n", 1.2)
    verify("pattern-0", with_commands(ran))
    html = client.get("/workshops/morning/slides/").content.decode()
    count = len(load_deck("morning").slides)
    assert re.findall(r'<section class="slide slide--\w+" id="(\d+)"', html) == [
        str(n) for n in range(1, count + 1)
    ]
    assert html.count("<h1") == 1 and html.count('<h2 class="slide__title') == count  # one heading a slide
    assert "<script>alert(1)</script>" not in html and "&lt;/pre&gt;&lt;script&gt;" in html
    assert 'class="slide__notes"' in html and "Ask the <strong>room</strong>." in html
    assert 'href="/workshops/morning/present/"' in html
    assert client.get("/workshops/morning/slides/?cut=nope").status_code == 404


def count_queries(client, url: str) -> int:
    cache.clear()  # rendered, not answered from the page cache
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


@pytest.mark.parametrize("url", ["/workshops/morning/slides/", "/workshops/morning/slides/?cut=short"])
def test_query_count_does_not_grow_with_the_items(client, tmp_path, url, django_assert_max_num_queries):
    tree, folder = tmp_path / "patterns", tmp_path / "workshops"
    factories.write_tree(tree, count=3)
    write_workshop(folder, data=one_part([f"pattern-{i}" for i in range(3)]))
    assert sync_patterns(tree, folder).ok
    for example in Example.objects.all():
        verify(example.pattern.slug)
    small = count_queries(client, url)

    factories.write_tree(tree, count=30)
    write_workshop(folder, data=one_part([f"pattern-{i}" for i in range(30)]))
    assert sync_patterns(tree, folder).ok
    for example in Example.objects.filter(verifications=None):
        verify(example.pattern.slug)
    cache.clear()
    with django_assert_max_num_queries(small):
        assert client.get(url).status_code == 200
