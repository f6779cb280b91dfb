"""The example.yaml schema: what it accepts, how it normalises, and how it reports mistakes."""

import json

import pytest

from tests import factories
from worker.contract.quantities import format_size, parse_duration, parse_size
from worker.scenario import Scenario, parse_scenario

FILES = dict.fromkeys(["Dockerfile", "Dockerfile.shell", "site/index.html"], "")


def scenario(**overrides):
    data = {
        "title": "t",
        "summary": "s",
        "images": {
            "app": {"dockerfile": "Dockerfile"},
            "shell": {"dockerfile": "Dockerfile.shell"},
        },
        "steps": [{"run": {"image": "app"}, "expect": {"exit_code": 0}}],
    }
    data.update(overrides)
    return data


def errors_of(data) -> list[str]:
    parsed, errors = parse_scenario(data, FILES)
    assert parsed is None
    return [str(error) for error in errors]


def test_full_scenario_round_trips_and_counts_expectations():
    data = scenario(
        volumes={"site": {"files": {"index.html": "site/index.html"}}},
        networks=["backend"],
        steps=[
            {"run": {"image": "app", "name": "web", "detach": True, "mounts": {"site": "/www"}}},
            {
                "probe": {"container": "web", "port": 8080, "retry_for": "5s"},
                "expect": {"status": 200},
            },
            {"run": {"image": "shell", "name": "side", "network": "container:web", "detach": True}},
            {"stop": "side", "expect": {"stopped_after": "2.5s", "exit_code": 137}},
            {
                "rebuild": {"image": "app", "touch": "site/index.html"},
                "expect": {"cache_hit": "RUN"},
            },
            {"image": "app", "expect": {"size_max": "5MB", "exposed_ports": [8080]}},
        ],
        compare=[{"images": ["app", "shell"], "expect": {"size_ratio_max": 0.5}}],
        timeout="2m",
    )
    parsed, errors = parse_scenario(data, FILES)
    assert errors == []
    assert Scenario.from_dict(parsed.to_dict()) == parsed
    assert parsed.expectation_count == 7
    assert parsed.timeout == 120.0
    stop = parsed.steps[3]
    assert stop.params == {"container": "side"} and stop.expect["stopped_after"] == 2.5
    assert parsed.steps[4].expect["cache_hit"] == ["RUN"]
    assert parsed.steps[5].expect == {"size_max": 5_000_000, "exposed_ports": ["8080/tcp"]}


def test_a_side_holds_until_the_next_one_is_named():
    run = {"run": {"image": "app"}, "expect": {"exit_code": 0}}
    data = scenario(
        steps=[
            {"image": "app", "expect": {"user": ""}},
            {"side": "before", **run},
            run,
            {"side": "after", **run},
            run,
        ]
    )
    parsed, errors = parse_scenario(data, FILES)
    assert errors == []
    assert [step.side for step in parsed.steps] == ["", "before", "before", "after", "after"]
    assert Scenario.from_dict(parsed.to_dict()) == parsed


def test_a_scenario_without_sides_is_stored_as_before_sides_existed():
    """Its stored form, and so its content hash, must not change: no example re-verifies for it."""
    parsed, errors = parse_scenario(scenario(), FILES)
    assert errors == []
    assert list(parsed.to_dict()["steps"]) == [
        {"action": "run", "params": {"image": "app"}, "expect": {"exit_code": 0}}
    ]


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (scenario(title=""), "title: required text is missing"),
        (scenario(images={}), "images: expected a mapping"),
        (scenario(images={"App": {"dockerfile": "Dockerfile"}}), "images.App: expected a name"),
        (scenario(steps=[]), "steps: expected a non-empty list"),
        (scenario(steps=[{"dance": {}}]), "steps[0]: expected exactly one action"),
        (scenario(steps=[{"run": {"image": "nope"}}]), "steps[0].run.image: 'nope' is not one of"),
        (
            scenario(steps=[{"run": {"image": "app", "privileged": True}}]),
            "steps[0].run.privileged: unknown",
        ),
        (
            scenario(steps=[{"run": {"image": "app", "detach": True}}]),
            "steps[0].run.name: a detached",
        ),
        (
            scenario(
                steps=[
                    {
                        "run": {"image": "app", "name": "a", "detach": True},
                        "expect": {"exit_code": 0},
                    }
                ]
            ),
            "steps[0].expect: a detached run has no result yet",
        ),
        (
            scenario(steps=[{"run": {"image": "app"}, "expect": {"status": 200}}]),
            "steps[0].expect.status: unknown",
        ),
        (
            scenario(steps=[{"run": {"image": "app", "pid": "host"}}]),
            "steps[0].run.pid: expected 'container:",
        ),
        (
            scenario(steps=[{"run": {"image": "app"}, "expect": {"output_matches": "("}}]),
            "output_matches: expected a regular",
        ),
        (
            scenario(compare=[{"images": ["app"], "expect": {"smaller": True}}]),
            "compare[0].images: expected two",
        ),
        (scenario(host_access=["privileged"]), "host_access: expected a list among"),
        (
            scenario(volumes={"v": {"files": {"a": "missing.txt"}}}),
            "volumes.v.files.a: names 'missing.txt'",
        ),
        (
            scenario(steps=[{"side": "later", "run": {"image": "app"}, "expect": {"exit_code": 0}}]),
            "steps[0].side: expected one of before, after",
        ),
        (
            scenario(steps=[{"side": "before", "run": {"image": "app"}, "expect": {"exit_code": 0}}]),
            "steps: a scenario that names a side needs both",
        ),
        (
            scenario(
                steps=[
                    {"side": "after", "run": {"image": "app"}, "expect": {"exit_code": 0}},
                    {"side": "before", "run": {"image": "shell"}, "expect": {"exit_code": 0}},
                ]
            ),
            "steps: side: before (the anti-pattern) comes first",
        ),
        (scenario(unknown=1), "unknown: unknown field"),
        ("just text", "the file must hold a mapping"),
    ],
)
def test_mistakes_are_named_by_field(data, expected):
    found = errors_of(data)
    assert any(expected in error for error in found), found


def test_quantities():
    assert parse_duration("500ms") == 0.5 and parse_duration("2m") == 120 and parse_duration(3) == 3.0
    assert parse_size("5MiB") == 5 * 1024**2 and parse_size("1.5MB") == 1_500_000 and parse_size(10) == 10
    assert format_size(8_390_000) == "8.39 MB" and format_size(999) == "999 B"
    for bad in ("soon", -1, True):
        with pytest.raises(ValueError):
            parse_duration(bad)
    with pytest.raises(ValueError):
        parse_size("12 apples")


def test_a_commands_outcome_is_stored_only_when_it_differs_from_a_plain_success():
    raw = factories.scenario(
        commands=[
            {"title": "Build", "run": "docker build -t app ."},
            {
                "title": "Refused",
                "run": "docker run --rm app cat /etc/shadow",
                "expect": {"exit_code": 1, "output_contains": "Permission denied"},
                "timeout": "30s",
            },
        ]
    )
    parsed, errors = parse_scenario(raw, {"Dockerfile": "FROM busybox:1.35\n"})
    assert errors == []
    stored = parsed.to_dict()["commands"]
    assert stored == [
        {"title": "Build", "run": "docker build -t app ."},
        {
            "title": "Refused",
            "run": "docker run --rm app cat /etc/shadow",
            "exit_code": 1,
            "output_contains": ("Permission denied",),
            "timeout": 30.0,
        },
    ]
    assert Scenario.from_dict(json.loads(json.dumps(parsed.to_dict()))) == parsed
    assert parsed.commands[1].expected == "exits 1, prints 'Permission denied'"
