"""sync_patterns end to end: a valid tree, idempotence, removal, the verifications it queues, and every
kind of invalid file."""

import shutil

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from catalog.content.examples import load_example
from catalog.content.importer import sync_patterns
from catalog.models import (
    Category,
    Example,
    Pattern,
    PatternRelation,
    SearchDocument,
    ServiceBeat,
    Verification,
)
from tests import factories
from tests.verification_pages import drain_verify_queue
from worker.images.build_context import context_files

pytestmark = pytest.mark.django_db


def problems(root) -> list[str]:
    report = sync_patterns(root)
    assert not report.ok
    return [str(error) for error in report.errors]


def test_valid_tree_is_loaded_with_files_and_counts(tmp_path):
    factories.write_tree(tmp_path, count=3)
    report = sync_patterns(tmp_path)
    assert (report.created, report.updated, report.unchanged, report.removed) == (3, 0, 0, 0)
    assert Pattern.objects.published().count() == 3
    assert Category.objects.count() == 4
    example = Example.objects.get(pattern__slug="pattern-0")
    files = {f.path: f for f in example.files.all()}
    assert set(files) == {"Dockerfile", "hello.sh", "example.yaml"}
    assert files["hello.sh"].executable and not files["Dockerfile"].executable
    assert files["Dockerfile"].language == "docker"
    assert '<span class="line">' in files["Dockerfile"].highlighted_html
    assert example.scenario["steps"][0]["action"] == "run"
    assert len(report.changed_example_ids) == 3
    assert SearchDocument.objects.count() == 3


def test_second_run_changes_nothing(tmp_path):
    factories.write_tree(tmp_path, count=3)
    sync_patterns(tmp_path)
    before = list(Pattern.objects.values_list("id", "updated_at"))
    report = sync_patterns(tmp_path)
    assert (report.created, report.updated, report.unchanged, report.removed) == (0, 0, 3, 0)
    assert report.changed_example_ids == []
    assert list(Pattern.objects.values_list("id", "updated_at")) == before


def test_editing_one_file_updates_only_that_pattern_and_example(tmp_path):
    factories.write_tree(tmp_path, count=3)
    sync_patterns(tmp_path)
    example = Example.objects.get(pattern__slug="pattern-1")
    (tmp_path / "pattern-1/examples/hello/hello.sh").write_text("#!/bin/sh\necho changed\n")
    report = sync_patterns(tmp_path)
    assert (report.updated, report.unchanged) == (1, 2)
    assert report.changed_example_ids == [example.pk]
    assert "changed" in example.files.get(path="hello.sh").content


def test_removed_folder_is_unpublished_and_its_page_is_gone(tmp_path, client):
    factories.write_tree(tmp_path, count=3)
    sync_patterns(tmp_path)
    shutil.rmtree(tmp_path / "pattern-2")
    report = sync_patterns(tmp_path)
    assert report.removed == 1
    assert not Pattern.objects.get(slug="pattern-2").published
    assert client.get("/patterns/pattern-2/").status_code == 404
    assert sync_patterns(tmp_path).removed == 0


def test_relations_are_stored_once_in_their_canonical_direction(tmp_path):
    factories.write_bases(tmp_path)
    factories.write_pattern(tmp_path, "good", symbol="Gd")
    factories.write_anti_pattern(tmp_path, fixed_by="good")
    sync_patterns(tmp_path)
    relation = PatternRelation.objects.get()
    assert (relation.source.slug, relation.relation, relation.target.slug) == (
        "good",
        "fixes",
        "bad",
    )
    assert relation.inverse_label == "Fixed by"
    assert sync_patterns(tmp_path).unchanged == 2
    assert PatternRelation.objects.get().pk == relation.pk


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        ({"symbol": None}, "pattern-0/README.md: symbol: required"),
        ({"symbol": "toolong"}, "pattern-0/README.md: symbol: 'toolong' is not 2-3 letters"),
        ({"categories": ["runtime", "cooking"]}, "categories: unknown category 'cooking'"),
        ({"kind": "recipe"}, "pattern-0/README.md: kind: 'recipe' is not one of"),
        ({"summary": None}, "pattern-0/README.md: summary: required text is missing"),
        ({"sources": []}, "pattern-0/README.md: sources: required"),
        ({"colour": "red"}, "pattern-0/README.md: colour: unknown field"),
        (
            {"related": [{"pattern": "nowhere", "relation": "uses"}]},
            "pattern-0/README.md: related[0].pattern: no pattern folder named 'nowhere'",
        ),
        (
            {"related": [{"pattern": "pattern-1", "relation": "likes"}]},
            "pattern-0/README.md: related[0].relation: expected one of",
        ),
    ],
)
def test_front_matter_errors_name_file_and_field(tmp_path, change, expected):
    factories.write_tree(tmp_path, count=2)
    meta = factories.front_matter("pattern-0", symbol="Paa")
    meta.update(change)
    factories.write_pattern(tmp_path, "pattern-0", meta={k: v for k, v in meta.items() if v is not None})
    found = problems(tmp_path)
    assert any(expected in problem for problem in found), found
    assert Pattern.objects.count() == 0


def test_duplicate_symbol_names_both_patterns(tmp_path):
    factories.write_tree(tmp_path, count=2)
    factories.write_pattern(tmp_path, "pattern-1", symbol="Paa")
    assert problems(tmp_path) == ["pattern-1/README.md: symbol: 'Paa' is already used by pattern-0"]


def test_invalid_yaml_reports_its_line(tmp_path):
    factories.write_tree(tmp_path, count=1)
    readme = tmp_path / "pattern-0/README.md"
    readme.write_text("---\nname: Broken\nsymbol: [Bk\n---\n" + factories.body())
    found = problems(tmp_path)
    assert len(found) == 1
    assert found[0].startswith("pattern-0/README.md: invalid YAML at line 3")


def test_invalid_example_yaml_reports_its_line(tmp_path):
    factories.write_tree(tmp_path, count=1)
    (tmp_path / "pattern-0/examples/hello/example.yaml").write_text("title: x\nsteps: [\n  - a: b\n")
    found = problems(tmp_path)
    assert found[0].startswith("pattern-0/examples/hello/example.yaml: invalid YAML at line")


def test_a_file_the_example_names_must_exist(tmp_path):
    factories.write_tree(tmp_path, count=1)
    example = factories.scenario(images={"app": {"dockerfile": "Dockerfile.missing"}})
    factories.write_pattern(tmp_path, "pattern-0", symbol="Paa", example=example)
    assert problems(tmp_path) == [
        "pattern-0/examples/hello/example.yaml: images.app.dockerfile: "
        "names 'Dockerfile.missing', which is not in the example"
    ]


def test_scenario_errors_carry_the_field_path(tmp_path):
    factories.write_tree(tmp_path, count=1)
    steps = [
        {"run": {"image": "app", "name": "web", "detach": True}},
        {"stop": {"container": "ghost"}, "expect": {"stopped_within": "soon"}},
    ]
    factories.write_pattern(tmp_path, "pattern-0", symbol="Paa", example=factories.scenario(steps=steps))
    assert problems(tmp_path) == [
        "pattern-0/examples/hello/example.yaml: steps[1].stop.container: "
        "'ghost' is not a container started by an earlier step",
        "pattern-0/examples/hello/example.yaml: steps[1].expect.stopped_within: "
        "expected a duration like '2s' or '500ms', got 'soon'",
    ]


@pytest.mark.parametrize(
    "commands, expected",
    [
        ([], "commands: a reader always gets a way to try the example"),
        ([{"title": "Build: the image", "run": "docker build ."}], ""),
        (
            [{"title": "Run", "run": "docker run x", "then the image": None}],
            "commands[0].then the image: unknown",
        ),
        (
            [{"title": "Run", "run": "false", "expect": {"exit_code": 256}}],
            "commands[0].expect.exit_code: expected",
        ),
        (
            [{"title": "Run", "run": "x", "expect": {"output": "y"}}],
            "commands[0].expect: expected a mapping of",
        ),
        ([{"title": "Run", "run": "  "}], "commands[0].run: expected the shell command"),
        ([{"run": "true"}], "commands[0].title: required text is missing"),
    ],
)
def test_every_example_says_how_to_try_it_and_what_each_command_does(tmp_path, commands, expected):
    factories.write_tree(tmp_path, count=1)
    factories.write_pattern(
        tmp_path, "pattern-0", symbol="Paa", example=factories.scenario(commands=commands)
    )
    if not expected:
        assert sync_patterns(tmp_path).ok  # a ": " in a quoted title is just text
        return
    found = problems(tmp_path)
    assert any(expected in problem for problem in found), found
    assert all(problem.startswith("pattern-0/examples/hello/example.yaml: commands") for problem in found)


def test_from_must_name_a_declared_base(tmp_path):
    factories.write_tree(tmp_path, count=1)
    files = {"Dockerfile": "FROM 127.0.0.1:5000/evil AS build\nFROM scratch\nCOPY --from=build /x /x\n"}
    factories.write_pattern(tmp_path, "pattern-0", symbol="Paa", files=files)
    found = problems(tmp_path)
    assert found == [
        "pattern-0/examples/hello/Dockerfile: FROM: '127.0.0.1:5000/evil' is not in bases.yaml (busybox:1.35)"
    ]


def test_from_problems_come_first_then_copy_from_in_the_loaders_words(tmp_path):
    factories.write_tree(tmp_path, count=1)
    dockerfile = "FROM busybox:1.35\nCOPY --from=ghost /x /x\nFROM $BASE\n"
    factories.write_pattern(tmp_path, "pattern-0", symbol="Paa", files={"Dockerfile": dockerfile})
    assert problems(tmp_path) == [
        "pattern-0/examples/hello/Dockerfile: FROM: '$BASE' is not in bases.yaml (busybox:1.35)",
        "pattern-0/examples/hello/Dockerfile: COPY --from: 'ghost' is neither a stage nor a base",
    ]


def test_the_engine_gets_the_same_files_from_the_folder_as_from_the_database(tmp_path):
    factories.write_tree(tmp_path, count=1)
    assert sync_patterns(tmp_path).ok
    folder = load_example(tmp_path, tmp_path / "pattern-0/examples/hello", {"busybox:1.35"}, [])
    stored = Example.objects.get(pattern__slug="pattern-0").context_files()
    assert stored == context_files(folder.files)
    assert stored["hello.sh"] == (factories.SCRIPT.encode(), True)
    assert stored["Dockerfile"] == (factories.DOCKERFILE.encode(), False)


def test_body_needs_the_six_sections(tmp_path):
    factories.write_tree(tmp_path, count=1)
    meta = factories.front_matter("pattern-0", symbol="Paa")
    text = "---\n" + yaml.safe_dump(meta) + "---\n## Problem\n\nOnly a problem.\n"
    factories.write_pattern(tmp_path, "pattern-0", text=text)
    assert problems(tmp_path)[0].startswith("pattern-0/README.md: body: expected the sections")


def test_every_problem_is_reported_and_nothing_is_written(tmp_path):
    factories.write_tree(tmp_path, count=3)
    factories.write_pattern(tmp_path, "pattern-0", symbol="Paa", kind="recipe")
    factories.write_pattern(tmp_path, "pattern-2", symbol="Pac", categories=["cooking"])
    assert len(problems(tmp_path)) == 2
    assert Pattern.objects.count() == 0


def test_bases_must_be_pinned(tmp_path):
    factories.write_tree(tmp_path, count=1)
    factories.write_bases(tmp_path, {"bases": [{"image": "busybox:latest", "offline": {"recipe": "x"}}]})
    found = problems(tmp_path)
    assert "bases.yaml: bases[0].image: expected an image pinned by tag, not latest" in found


def test_every_problem_of_bases_yaml_names_its_field(tmp_path):
    factories.write_tree(tmp_path, count=1)
    busybox = {"image": "busybox:1.35", "offline": {"recipe": "busybox-static"}}
    entries = [busybox, {"image": "busybox:1.35", "offline": {"recipe": "wget"}}, *[busybox] * 4]
    factories.write_bases(tmp_path, {"bases": entries})
    assert problems(tmp_path)[:3] == [
        "bases.yaml: bases: keep the set small: at most 5 bases",
        "bases.yaml: bases[1].offline.recipe: expected one of busybox-static, debootstrap",
        "bases.yaml: bases[1].image: busybox:1.35 is listed twice",
    ]
    (tmp_path / "bases.yaml").write_text("bases: [\n")
    assert problems(tmp_path)[0].startswith("bases.yaml: invalid YAML at line")
    (tmp_path / "bases.yaml").unlink()
    assert problems(tmp_path)[0] == "bases.yaml: missing: list the base images examples may use"


def test_command_prints_counts_then_problems(tmp_path, capsys):
    factories.write_tree(tmp_path, count=2)
    call_command("sync_patterns", path=tmp_path)
    assert "created 2, updated 0, unchanged 0, removed 0" in capsys.readouterr().out
    factories.write_pattern(tmp_path, "pattern-1", symbol="Paa")
    with pytest.raises(CommandError, match="1 problem"):
        call_command("sync_patterns", path=tmp_path)
    assert "symbol: 'Paa' is already used by pattern-0" in capsys.readouterr().err


def test_sync_queues_verification_of_what_it_added_or_changed_once_a_worker_has_reported(
    tmp_path, memory_broker, django_capture_on_commit_callbacks
):
    factories.write_tree(tmp_path, count=3)
    report = sync_patterns(tmp_path)
    assert (report.worker_reported, report.queued) == (False, 0)  # no worker: the rows would only wait
    assert not Verification.objects.exists()

    ServiceBeat.beat("celery@host-a", ServiceBeat.Role.WORKER)
    report = sync_patterns(tmp_path)
    assert (report.worker_reported, report.unchanged, report.queued) == (True, 3, 0)
    assert not Verification.objects.exists()

    (tmp_path / "pattern-1/examples/hello/hello.sh").write_text("#!/bin/sh\necho changed\n")
    factories.write_pattern(tmp_path, "added", symbol="Add")
    with django_capture_on_commit_callbacks(execute=True):
        report = sync_patterns(tmp_path)
        assert drain_verify_queue() == []  # nothing is sent before the commit
    changed = Example.objects.get(pattern__slug="pattern-1")
    added = Example.objects.get(pattern__slug="added")
    assert (report.created, report.updated, report.unchanged, report.queued) == (1, 1, 2, 2)
    rows = {row.example_id: row for row in Verification.objects.all()}
    assert set(rows) == {changed.pk, added.pk}  # one each; the unchanged examples get none
    assert rows[changed.pk].state == Verification.State.QUEUED
    assert rows[changed.pk].example_hash == changed.content_hash
    sent = sorted(drain_verify_queue())
    assert sent == sorted(("catalog.verify", [row.pk]) for row in rows.values())

    assert sync_patterns(tmp_path).queued == 0  # run again: nothing changed, nothing queued
    assert Verification.objects.count() == 2


def test_command_says_how_many_it_queued_or_that_no_worker_has_reported(tmp_path, capsys):
    factories.write_tree(tmp_path, count=2)
    call_command("sync_patterns", path=tmp_path)
    assert "no worker has reported yet, so no verification was queued" in capsys.readouterr().out
    assert not Verification.objects.exists()
    ServiceBeat.beat("celery@host-a", ServiceBeat.Role.WORKER)
    (tmp_path / "pattern-0/examples/hello/hello.sh").write_text("#!/bin/sh\necho changed\n")
    call_command("sync_patterns", path=tmp_path)
    out = capsys.readouterr().out
    assert "created 0, updated 1, unchanged 1, removed 0" in out
    assert "queued 1 verification(s) of the examples added or changed" in out
    assert Verification.objects.get().example.pattern.slug == "pattern-0"


def test_a_pattern_without_examples_is_refused(tmp_path):
    factories.write_tree(tmp_path, count=1)
    shutil.rmtree(tmp_path / "pattern-0/examples")
    found = problems(tmp_path)
    assert len(found) == 1
    assert found[0].startswith("pattern-0/README.md: examples: every pattern needs an examples/ folder")


def test_a_platform_pattern_says_why_it_has_no_example_and_the_page_shows_it(tmp_path, client):
    factories.write_tree(tmp_path, count=1)
    reason = "Operators run inside a Kubernetes cluster; a Docker engine alone has no API to reconcile."
    factories.write_pattern(tmp_path, "pattern-0", symbol="Paa", kind="platform", unverifiable=reason)
    shutil.rmtree(tmp_path / "pattern-0/examples")
    assert sync_patterns(tmp_path).ok
    pattern = Pattern.objects.get(slug="pattern-0")
    assert pattern.unverifiable == reason
    page = client.get(pattern.get_absolute_url()).content.decode()
    assert "Not verified here" in page
    assert "a Docker engine alone has no API to reconcile" in page


def test_only_platform_patterns_may_be_unverifiable(tmp_path):
    factories.write_tree(tmp_path, count=1)
    factories.write_pattern(tmp_path, "pattern-0", symbol="Paa", unverifiable="Too hard to show.")
    assert problems(tmp_path) == [
        "pattern-0/README.md: unverifiable: only platform patterns may go without a verified example"
    ]


def test_an_anti_pattern_needs_a_fix(tmp_path):
    factories.write_tree(tmp_path, count=1)
    factories.write_pattern(
        tmp_path, "pattern-0", symbol="Paa", kind="anti-pattern", example=factories.measured_scenario()
    )
    found = problems(tmp_path)
    assert len(found) == 1
    assert found[0].startswith("pattern-0/README.md: related: an anti-pattern needs the pattern that fixes")


def test_an_anti_pattern_is_measured_against_its_fix(tmp_path):
    factories.write_tree(tmp_path, count=1)
    factories.write_anti_pattern(tmp_path, fixed_by="pattern-0", example=factories.scenario())
    assert problems(tmp_path) == [
        "bad/examples/hello/example.yaml: steps: an anti-pattern's example measures the mistake against "
        "its fix: compare two images ('compare', or exactly two images), or mark the steps with "
        "'side: before' and 'side: after'"
    ]
    factories.write_anti_pattern(tmp_path, fixed_by="pattern-0")
    assert sync_patterns(tmp_path).ok


def test_an_example_needs_two_proving_expectations(tmp_path):
    factories.write_tree(tmp_path, count=1)
    steps = [{"build": {"image": "app"}, "expect": {"succeeds": True}}, {"run": {"image": "app"}}]
    steps[1]["expect"] = {"exit_code": 0}
    factories.write_pattern(tmp_path, "pattern-0", symbol="Paa", example=factories.scenario(steps=steps))
    assert problems(tmp_path) == [
        "pattern-0/examples/hello/example.yaml: steps: an example proves its pattern with at least 2 "
        "expectations that would fail without it; this one has 1"
    ]


def test_a_principle_lists_the_patterns_that_realise_it(tmp_path, client):
    factories.write_tree(tmp_path, count=1)
    related = [{"pattern": "pattern-0", "relation": "realised-by"}]
    factories.write_pattern(tmp_path, "small", symbol="Sml", kind="principle", related=related)
    assert sync_patterns(tmp_path).ok
    relation = PatternRelation.objects.get()
    stored = (relation.source.slug, relation.relation, relation.target.slug)
    assert stored == ("pattern-0", "realises", "small")
    page = client.get(Pattern.objects.get(slug="small").get_absolute_url()).content.decode()
    assert "Realised by" in page
