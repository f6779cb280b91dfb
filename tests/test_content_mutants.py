"""The loader's rules for an example's mutant (mutant/ beside example.yaml), without an engine."""

import shutil
from pathlib import Path

import yaml

from catalog.content.examples import load_example
from catalog.content.sources import ContentError
from tests import factories

BASES = {"busybox:1.35"}


def example_folder(tmp_path: Path) -> Path:
    factories.write_tree(tmp_path, count=1)
    return tmp_path / "pattern-0/examples/hello"


def write_mutant(folder: Path, spec: dict | None, files: dict[str, str]) -> None:
    mutant = folder / "mutant"
    shutil.rmtree(mutant)  # the factory's own mutant, replaced by the one under test
    mutant.mkdir()
    if spec is not None:
        (mutant / "mutant.yaml").write_text(yaml.safe_dump(spec))
    for name, content in files.items():
        (mutant / name).write_text(content)


def load(tmp_path: Path, folder: Path):
    errors: list[ContentError] = []
    return load_example(tmp_path, folder, BASES, errors), [str(error) for error in errors]


def test_a_mutant_replaces_the_files_it_holds_and_keeps_the_rest_out_of_the_example(tmp_path):
    folder = example_folder(tmp_path)
    write_mutant(folder, {"undoes": "The script says goodbye."}, {"hello.sh": "#!/bin/sh\necho goodbye\n"})
    example, errors = load(tmp_path, folder)
    assert errors == []
    assert [file.path for file in example.files] == ["Dockerfile", "hello.sh", "example.yaml"]
    assert example.mutant.undoes == "The script says goodbye."
    assert example.mutant.changed == ("hello.sh",)
    mutant_files = {file.path: file.content for file in example.mutant.files}
    assert mutant_files["hello.sh"] == "#!/bin/sh\necho goodbye\n"
    assert mutant_files["Dockerfile"] == factories.DOCKERFILE


def test_the_mutant_does_not_change_the_examples_hash(tmp_path):
    folder = example_folder(tmp_path)
    before, _ = load(tmp_path, folder)
    write_mutant(folder, {"undoes": "The script says goodbye."}, {"hello.sh": "echo goodbye\n"})
    after, _ = load(tmp_path, folder)
    assert after.content_hash == before.content_hash


def test_an_example_without_a_mutant_is_refused_naming_the_folder(tmp_path):
    folder = example_folder(tmp_path)
    shutil.rmtree(folder / "mutant")
    example, errors = load(tmp_path, folder)
    assert example is None
    assert errors == [
        "pattern-0/examples/hello/mutant: missing: every example keeps a mutant, its files with the pattern "
        "undone, and a mutant.yaml saying what it undoes (patterns/AUTHORING.md, 'Mutants')"
    ]


def test_each_broken_mutant_is_named_by_file_and_field(tmp_path):
    cases = [
        (None, {"hello.sh": "x"}, "mutant/mutant.yaml: missing"),
        ({"undoes": ""}, {"hello.sh": "x"}, "mutant/mutant.yaml: undoes: required"),
        ({"undoes": "x", "why": "y"}, {"hello.sh": "x"}, "mutant/mutant.yaml: why: unknown field"),
        ({"undoes": "x"}, {}, "the mutant changes nothing"),
        ({"undoes": "x", "removes": ["nope.txt"]}, {}, "removes: 'nope.txt' is not a file of the example"),
        ({"undoes": "x"}, {"example.yaml": "title: x"}, "mutant/example.yaml: a mutant is judged by"),
        ({"undoes": "x", "removes": ["Dockerfile"]}, {}, "the mutant's files do not fit the example"),
        (
            {"undoes": "x"},
            {"Dockerfile": "FROM alpine:3\n"},
            "mutant/Dockerfile: FROM: 'alpine:3' is not in bases",
        ),
    ]
    for index, (spec, files, expected) in enumerate(cases):
        root = tmp_path / str(index)
        folder = example_folder(root)
        write_mutant(folder, spec, files)
        example, errors = load(root, folder)
        assert example is None, expected
        assert any(expected in error for error in errors), (expected, errors)


def test_a_mutant_may_drop_run_options_and_is_judged_by_the_scenario_without_them(tmp_path):
    folder = example_folder(tmp_path)
    steps = [
        {"run": {"image": "app", "read_only": True}, "expect": {"exit_code": 0, "output_contains": "hello"}}
    ]
    (folder / "example.yaml").write_text(yaml.safe_dump(factories.scenario(steps=steps)))
    write_mutant(
        folder,
        {"undoes": "The root filesystem is writable.", "drops": [{"step": 1, "params": ["read_only"]}]},
        {},
    )
    example, errors = load(tmp_path, folder)
    assert errors == []
    assert example.scenario["steps"][0]["params"] == {"image": "app", "read_only": True}
    assert example.mutant.scenario["steps"][0]["params"] == {"image": "app"}
    assert example.mutant.changed == ()


def test_a_drop_names_a_step_and_an_option_the_example_has(tmp_path):
    cases = [
        ([{"step": 9, "params": ["read_only"]}], "drops: step 9: the example has no step 9"),
        ([{"step": 1, "params": ["read_only"]}], "drops: step 1: its run step sets no read_only"),
        ([{"step": "1", "params": ["x"]}], "drops[0]: expected a list of {step"),
        ({"step": 1}, "drops: expected a list"),
    ]
    for index, (drops, expected) in enumerate(cases):
        root = tmp_path / str(index)
        folder = example_folder(root)
        write_mutant(folder, {"undoes": "x", "drops": drops}, {})
        example, errors = load(root, folder)
        assert example is None and any(expected in error for error in errors), (expected, errors)
