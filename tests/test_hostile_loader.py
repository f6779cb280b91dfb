"""Hostile content through the loader (issue 14, item 7): every case a clear error naming file and field.

Each case goes through `sync_patterns`, the entry point of the curated path and of the submissions'
check, on a tree written in tmp_path; the scenario cases also through `parse_scenario` directly.
None may crash, hang or write anything.
"""

import os
import time
from pathlib import Path

import pytest

from catalog.content.importer import sync_patterns
from catalog.content.loader import load_pattern
from catalog.content.taxonomy import CATEGORY_SLUGS
from catalog.models import Example, Pattern
from tests import factories
from worker.expressions import search_bounded
from worker.scenario import Scenario, parse_scenario
from worker.scenario.trust import trust_problems
from worker.steps.judges import matches
from worker.yaml_text import MAX_CHARS, parse_yaml

pytestmark = pytest.mark.django_db

README = "pattern-0/README.md"
EXAMPLE = "pattern-0/examples/hello/example.yaml"
MUTANT = "pattern-0/examples/hello/mutant/mutant.yaml"
SECONDS = 10  # far more than any case takes; a crash or a hang is what is being ruled out


def problems(root: Path) -> list[str]:
    started = time.monotonic()
    report = sync_patterns(root)
    assert time.monotonic() - started < SECONDS
    assert not report.ok and not Pattern.objects.exists()
    return [str(error) for error in report.errors]


def tree(root: Path) -> Path:
    factories.write_tree(root, count=1)
    return root


def laughs(levels: int = 9) -> str:
    """A 'billion laughs': each anchor ten aliases of the one before, 10**levels values in all."""
    lines = ["l0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    lines += [f"l{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


NOT_TEXT = "keys are text: quote it"
NO_TAGS = "is not allowed: plain YAML only, without tags"
NOT_ALLOWED = "which is not allowed"
KEY = "a key must be text, not a list or a mapping"
YAML_SHAPES = [  # (what, example.yaml, line, problem)
    ("alias bomb", laughs(), 5, "more than 20000 values once its aliases are expanded"),
    ("alias to itself", "title: &t [*t]\n", 1, "an alias refers to the value it is part of"),
    (
        "10,000 nested lists",
        "steps: " + "[" * 10_000 + "]" * 10_000 + "\n",
        1,
        "nested deeper than 32 levels",
    ),
    ("keys of mixed types", "title: t\n1: one\n", 2, f"the key '1' reads as a whole number; {NOT_TEXT}"),
    ("YAML 1.1's on", "title: t\non: x\n", 2, f"the key 'on' reads as true or false; {NOT_TEXT}"),
    ("a list as a key", "? [a, b]\n: c\n", 1, KEY),
    ("a mapping as a key", "{{a: 1}: b}\n", 1, KEY),
    ("a key given twice", "title: a\ntitle: b\n", 2, "the key 'title' is given twice"),
    (
        "python tag",
        "title: !!python/object/apply:os.system [id]\n",
        1,
        f"the tag !!python/object/apply:os.system {NO_TAGS}",
    ),
    ("unknown tag", "title: !shell echo hi\n", 1, f"the tag !shell {NO_TAGS}"),
    ("a number that is none", "timeout: !!int soon\n", 1, f"the tag !!int {NO_TAGS}"),
    ("a 5,000-digit number", "timeout: " + "9" * 5000 + "\n", 1, "a number of more than 32 characters"),
    ("NUL as an escape", 'title: "a\\0b"\n', 1, f"the text holds the character U+0000, {NOT_ALLOWED}"),
    ("a lone surrogate", 'title: "\\ud800"\n', 1, f"the text holds the character U+D800, {NOT_ALLOWED}"),
    ("an escape character", 'title: "\\e[2J"\n', 1, f"the text holds the character U+001B, {NOT_ALLOWED}"),
]


def cases(table: list[tuple]) -> dict:
    """parametrize's arguments for a table whose rows start with what the case is."""
    return {"argvalues": [row[1:] for row in table], "ids": [row[0] for row in table]}


@pytest.mark.parametrize("text, line, problem", **cases(YAML_SHAPES))
def test_yaml_shapes_in_example_yaml_are_refused_by_line(tmp_path, text, line, problem):
    (tree(tmp_path) / EXAMPLE).write_text(text)
    assert problems(tmp_path) == [f"{EXAMPLE}: invalid YAML at line {line}: {problem}"]


@pytest.mark.parametrize("text, line, problem", **cases(YAML_SHAPES))
def test_yaml_shapes_in_front_matter_are_refused_by_the_line_of_the_readme(tmp_path, text, line, problem):
    text, problem = text.replace("title", "name"), problem.replace("'title'", "'name'")
    (tree(tmp_path) / README).write_text("---\n" + text + "---\n" + factories.body())
    assert problems(tmp_path) == [f"{README}: invalid YAML at line {line + 1}: {problem}"]


def test_a_python_tag_in_a_mutant_is_refused(tmp_path):
    (tree(tmp_path) / MUTANT).write_text("undoes: !!python/object/apply:os.system [id]\n")
    assert problems(tmp_path) == [
        f"{MUTANT}: invalid YAML at line 1: the tag !!python/object/apply:os.system is not allowed: "
        "plain YAML only, without tags"
    ]


BYTES = [
    ("invalid UTF-8", b"title: caf\xe9\n", "not UTF-8 text: byte 0xe9 at line 1"),
    ("a NUL byte", b"title: t\nsummary: a\x00b\n", "holds a NUL character at line 2; only text is allowed"),
    ("a huge document", b"# " + b"x" * (MAX_CHARS + 1) + b"\n", "larger than 256 KiB"),
]


@pytest.mark.parametrize("data, expected", **cases(BYTES))
def test_bytes_no_text_file_holds_are_refused_in_example_yaml(tmp_path, data, expected):
    (tree(tmp_path) / EXAMPLE).write_bytes(data)
    assert problems(tmp_path) == [f"{EXAMPLE}: {expected}"]


@pytest.mark.parametrize("data, expected", **cases(BYTES))
def test_bytes_no_text_file_holds_are_refused_in_the_readme(tmp_path, data, expected):
    expected = expected.replace("line 1", "line 2").replace("line 2;", "line 3;")
    (tree(tmp_path) / README).write_bytes(b"---\n" + data + b"---\n" + factories.body().encode())
    assert problems(tmp_path) == [f"{README}: {expected}"]


def test_a_nul_byte_in_the_readme_body_or_a_dockerfile_is_refused_before_the_database_sees_it(tmp_path):
    factories.write_tree(tmp_path, count=2)
    readme = tmp_path / README
    lines = readme.read_text().count("\n")
    readme.write_text(readme.read_text() + "A line with a \x00 in it.\n")
    (tmp_path / "pattern-1/examples/hello/Dockerfile").write_text("FROM busybox:1.35\nRUN true\x00\n")
    assert problems(tmp_path) == [
        f"{README}: holds a NUL character at line {lines + 1}; only text is allowed",
        "pattern-1/examples/hello/Dockerfile: holds a NUL character at line 2; only text is allowed",
        # What follows from a file that could not be taken: the scenario names it all the same.
        "pattern-1/examples/hello/example.yaml: images.app.dockerfile: names 'Dockerfile', "
        "which is not in the example",
    ]


def test_a_readme_that_links_out_of_the_tree_or_a_pipe_among_the_files_is_refused_unread(tmp_path):
    factories.write_tree(tmp_path, count=2)
    (tmp_path / README).unlink()
    (tmp_path / README).symlink_to("/etc/passwd")
    os.mkfifo(tmp_path / "pattern-1/examples/hello/notes.txt")  # reading it would wait for a writer
    assert problems(tmp_path) == [
        f"{README}: not a plain file; links, pipes and devices are not allowed",
        "pattern-1/examples/hello/notes.txt: not a plain file; links, pipes and devices are not allowed",
    ]


def test_a_huge_document_is_refused_before_it_is_parsed():
    started = time.monotonic()
    assert parse_yaml("a: [" + "1, " * MAX_CHARS + "]\n") == (None, "invalid YAML: larger than 256 KiB")
    assert time.monotonic() - started < 1


def test_values_no_front_matter_field_can_hold_are_refused_by_field(tmp_path):
    factories.write_tree(tmp_path, count=1)
    factories.write_pattern(tmp_path, "pattern-0", symbol="Paa", categories=[["runtime"]], order=True)
    assert problems(tmp_path) == [
        f"{README}: categories: expected a list of 1 to 2 among {', '.join(CATEGORY_SLUGS)}",
        f"{README}: order: expected a whole number",
    ]


def test_a_mutant_dropping_step_true_is_refused(tmp_path):
    (tree(tmp_path) / MUTANT).write_text("undoes: x\ndrops: [{step: true, params: [image]}]\n")
    assert problems(tmp_path) == [
        f"{MUTANT}: drops[0]: expected a list of {{step: <number, from 1>, params: [<parameter>, ...]}}"
    ]


# Numbers taken as written: what YAML reads as a number (.inf, .nan, 1e308) is not a duration to wait.
AT_MOST = "expected a duration of at most 10m, got"
WHOLE = "expected a whole number, 0 or more"
LONGER = "give the scenario a longer 'timeout' (at most 10m) or this step less"
CHECKED = {"exit_code": 0, "output_contains": "x"}


def run(**options) -> list[dict]:
    return [{"run": {"image": "app", **options}, "expect": CHECKED}]


STOP_LATE = [
    {"run": {"image": "app", "name": "web", "detach": True}},
    {"stop": {"container": "web", "timeout": "400s"}, "expect": CHECKED},
]
NUMBERS = [  # (what, change to the scenario, problem)
    ("infinite timeout", {"timeout": float("inf")}, f"timeout: {AT_MOST} inf"),
    ("NaN timeout", {"timeout": float("nan")}, f"timeout: {AT_MOST} nan"),
    ("huge timeout", {"timeout": 1e308}, f"timeout: {AT_MOST} 1e+308"),
    ("huge timeout as text", {"timeout": "9" * 30 + "s"}, f"timeout: {AT_MOST} '{'9' * 30}s'"),
    ("negative timeout", {"timeout": -1}, "timeout: a duration cannot be negative"),
    ("true as a timeout", {"timeout": True}, "timeout: expected a duration like '2s' or '500ms'"),
    (
        "stop timeout beyond the scenario's",
        {"steps": STOP_LATE},
        f"steps[1].stop.timeout: 400 s is longer than the scenario's timeout of 300 s; {LONGER}",
    ),
    (
        "run timeout beyond a shorter scenario timeout",
        {"timeout": "1m", "steps": run(timeout="90s")},
        f"steps[0].run.timeout: 90 s is longer than the scenario's timeout of 60 s; {LONGER}",
    ),
    (
        "NaN expectation",
        {"steps": [{"run": {"image": "app"}, "expect": {"exit_code": 0, "duration_max": float("nan")}}]},
        f"steps[0].expect.duration_max: {AT_MOST} nan",
    ),
    (
        "a count that is a boolean",
        {"steps": [{"run": {"image": "app"}, "expect": {"exit_code": True, "output_contains": "x"}}]},
        f"steps[0].expect.exit_code: {WHOLE}",
    ),
    (
        "a count that is text",
        {"steps": [*run(), {"image": "app", "expect": {"layers_max": "3"}}]},
        f"steps[1].expect.layers_max: {WHOLE}",
    ),
    (
        "a size that is a boolean",
        {"steps": run(mem_limit=True)},
        "steps[0].run.mem_limit: expected a size like '12MB' or '5MiB'",
    ),
    (
        "a size beyond counting",
        {"steps": run(mem_limit=2**70)},
        f"steps[0].run.mem_limit: {2**70!r} is larger than the engine can count",
    ),
    (
        "an infinite command timeout",
        {"commands": [{"title": "Run", "run": "docker run x", "timeout": float("inf")}]},
        f"commands[0].timeout: {AT_MOST} inf",
    ),
]


@pytest.mark.parametrize(
    "change, expected", [case[1:] for case in NUMBERS], ids=[case[0] for case in NUMBERS]
)
def test_numbers_are_not_taken_as_written(tmp_path, change, expected):
    factories.write_tree(tmp_path, count=1)
    factories.write_pattern(tmp_path, "pattern-0", symbol="Paa", example=factories.scenario(**change))
    assert problems(tmp_path) == [f"{EXAMPLE}: {expected}"]


REGEX = [
    (
        "does not compile",
        "(",
        "expected a regular expression: missing ), unterminated subpattern at position 0",
    ),
    (
        "too many repeats",
        "a{99999999999}",
        "expected a regular expression: the repetition number is too large",
    ),
    ("too long", "a" * 1001, "a regular expression of more than 1000 characters"),
    ("not text", ["a+"], "expected a regular expression as text"),
]


@pytest.mark.parametrize("pattern, expected", **cases(REGEX))
def test_a_regular_expression_that_cannot_be_matched_is_refused_at_load_time(tmp_path, pattern, expected):
    steps = [{"run": {"image": "app"}, "expect": {"exit_code": 0, "output_matches": pattern}}]
    factories.write_tree(tmp_path, count=1)
    factories.write_pattern(tmp_path, "pattern-0", symbol="Paa", example=factories.scenario(steps=steps))
    assert problems(tmp_path) == [f"{EXAMPLE}: steps[0].expect.output_matches: {expected}"]


def children() -> set[int]:
    """Our own live child processes, from /proc."""
    mine = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == os.getpid():
            mine.add(int(stat.parent.name))
    return mine


@pytest.mark.parametrize(
    "pattern, text",
    [
        ("(a+)+$", "a" * 64 + "!"),  # exponential: would run for longer than the universe has
        ("(a|aa)+$", "a" * 64 + "!"),  # the same through an alternation
        (".*x", "a" * 1024 * 1024),  # quadratic: minutes on the 1 MiB a step may print
    ],
    ids=["nested quantifier", "overlapping alternation", "quadratic"],
)
def test_a_search_that_backtracks_for_ever_is_stopped_in_time_and_leaves_no_process(pattern, text):
    before = children()
    started = time.monotonic()
    search = search_bounded(pattern, text, seconds=1)
    assert time.monotonic() - started < 3
    assert search.found is None and not search.answered
    assert children() == before


def test_an_output_check_whose_expression_backtracks_for_ever_fails_in_time():
    judge = matches("output")  # output_matches and body_matches judge with it
    started = time.monotonic()
    [verdict] = judge(r"(a+)+$", {"output": "a" * 40 + "b"})
    assert time.monotonic() - started < 5
    assert not verdict.passed and verdict.observed.startswith("no answer within 2 s")
    [found] = judge(r"^65534$", {"output": "uid\n65534\n"})
    assert found.passed and found.observed == 'matched "65534"'


def test_a_bounded_search_finds_what_re_finds_curated_back_references_included():
    assert search_bounded(r"^65534$", "uid\n65534\n").found == "65534"
    output = "finishing job 7 before exiting\nworker: job 7 done\n"
    expression = r"finishing job (\d+) before exiting\s+worker: job \1 done"
    assert search_bounded(expression, output).found == output.strip()
    assert search_bounded("absent", output) == search_bounded("absent", "")
    assert search_bounded("absent", output).answered


def root_steps(exec_user: str = "root") -> list[dict]:
    return [
        {"run": {"image": "app", "name": "web", "detach": True, "user": "0"}},
        {"exec": {"container": "web", "command": "id -u", "user": exec_user}, "expect": CHECKED},
    ]


def test_a_curated_example_may_run_as_root_and_the_scenario_records_it(tmp_path):
    factories.write_tree(tmp_path, count=1)
    factories.write_pattern(
        tmp_path, "pattern-0", symbol="Paa", example=factories.scenario(steps=root_steps())
    )
    assert sync_patterns(tmp_path).ok
    scenario = Scenario.from_dict(Example.objects.get().scenario)
    assert scenario.root_users() == (("steps[0].run.user", "0"), ("steps[1].exec.user", "root"))


def test_an_untrusted_example_is_refused_root_beside_the_field_that_asks(tmp_path):
    factories.write_tree(tmp_path, count=1)
    factories.write_pattern(
        tmp_path, "pattern-0", symbol="Paa", example=factories.scenario(steps=root_steps("0:0"))
    )
    errors = []
    source = load_pattern(tmp_path, tmp_path / "pattern-0", {"busybox:1.35"}, errors, trust="untrusted")
    assert source is None
    advice = "untrusted examples never run as root: name another user, such as 65534:65534, or leave it out"
    assert [str(error) for error in errors] == [
        f"{EXAMPLE}: steps[0].run.user: '0' is root (uid 0); {advice}",
        f"{EXAMPLE}: steps[1].exec.user: '0:0' is root (uid 0); {advice}",
    ]


COMPOSE = "services:\n  app:\n    build: {context: ., dockerfile: Dockerfile}\n    user: root\n"
FILES = {"Dockerfile": "", "docker-compose.yml": COMPOSE}


def untrusted(steps: list, **extra) -> list[str]:
    data = {
        "title": "t",
        "summary": "s",
        "images": {"app": {"dockerfile": "Dockerfile"}},
        "steps": steps,
        **extra,
    }
    scenario, errors = parse_scenario(data, FILES, trust="untrusted")
    assert (scenario is None) == bool(errors)
    return [str(error) for error in errors]


@pytest.mark.parametrize("user", ["0", 0, "root", "0:0", "root:root", "00", "0:65534"])
def test_every_spelling_of_root_is_refused_for_untrusted_code(user):
    found = untrusted([{"run": {"image": "app", "user": user}, "expect": {"exit_code": 0}}])
    assert found == [
        f"steps[0].run.user: {str(user)!r} is root (uid 0); untrusted examples never run as root: "
        "name another user, such as 65534:65534, or leave it out"
    ]


@pytest.mark.parametrize("user", ["65534:65534", "nobody", "1000:0", "10"])
def test_other_users_are_allowed_for_untrusted_code(user):
    assert untrusted([{"run": {"image": "app", "user": user}, "expect": {"exit_code": 0}}]) == []


def test_a_compose_service_as_root_and_host_access_are_refused_for_untrusted_code():
    steps = [{"compose": "docker-compose.yml", "expect": {"started": ["app"]}}]
    assert untrusted(steps, host_access=["docker-socket"]) == [
        "host_access: asks for docker-socket; untrusted examples never get it",
        "steps[0].compose.project.services.app.user: 'root' is root (uid 0); untrusted examples never run as "
        "root: name another user, such as 65534:65534, or leave it out",
    ]


def test_an_unknown_trust_level_is_a_bug_of_the_caller():
    scenario, _ = parse_scenario(factories.scenario(), {"Dockerfile": ""})
    with pytest.raises(ValueError, match="unknown trust level 'sandbox'"):
        trust_problems(scenario, "sandbox")


def test_a_compose_file_is_read_as_every_yaml_file_is():
    files = {"Dockerfile": "", "docker-compose.yml": laughs()}
    steps = [{"compose": "docker-compose.yml", "expect": {"started": ["app"]}}]
    _, errors = parse_scenario({**factories.scenario(), "steps": steps}, files)
    assert [str(error) for error in errors] == [
        "steps[0].compose.project: docker-compose.yml, invalid YAML at line 5: "
        "more than 20000 values once its aliases are expanded"
    ]


# Data that did not come through parse_yaml (a form, a test) must not crash the parser either.
WEB = {"run": {"image": "app", "name": "web", "detach": True}}
SHAPES = [  # (what, change to the scenario, the problem's start)
    ("a number as a key", {1: "x"}, "1: unknown field; expected one of"),
    (
        "a number as an option",
        {"steps": [{"run": {"image": "app", 2: "x"}}]},
        "steps[0].run.2: unknown field",
    ),
    (
        "a list as an image",
        {"steps": [{"run": {"image": ["app"]}}]},
        "steps[0].run.image: ['app'] is not one",
    ),
    (
        "a list as a build stage",
        {"images": {"app": {"dockerfile": "Dockerfile", "target": ["a"]}}},
        "images.app.target: expected the name of a build stage",
    ),
    (
        "a list as a compared image",
        {"compare": [{"images": [["app"], "app"], "expect": {"smaller": True}}]},
        "compare[0].images[0]: ['app'] is not in 'images'",
    ),
    ("a list as host access", {"host_access": [["docker-socket"]]}, "host_access: expected a list among"),
    (
        "a list as a volume's file",
        {"volumes": {"data": {"files": {"a": ["b"]}}}},
        "volumes.data.files.a: names ['b'], not in the example",
    ),
    (
        "a list as a health state",
        {"steps": [WEB, {"health": {"container": "web"}, "expect": {"health": ["healthy"]}}]},
        "steps[1].expect.health: expected one of",
    ),
    (
        "a mapping as a container",
        {"steps": [{"stop": {"container": {"a": 1}}}]},
        "steps[0].stop.container: {'a': 1} is not a container",
    ),
    (
        "a list as a network",
        {"steps": [{"run": {"image": "app", "network": ["x"]}}]},
        "steps[0].run.network: expected 'container:<name>'",
    ),
    (
        "lists as containers",
        {"steps": [{"run": {"image": "app", "volumes_from": [["a"]]}}]},
        "steps[0].run.volumes_from: expected containers",
    ),
]


@pytest.mark.parametrize("change, expected", **cases(SHAPES))
def test_shapes_yaml_would_refuse_are_reported_by_the_parser_too(change, expected):
    scenario, errors = parse_scenario({**factories.scenario(), **change}, {"Dockerfile": ""})
    assert scenario is None
    assert any(str(error).startswith(expected) for error in errors), errors
