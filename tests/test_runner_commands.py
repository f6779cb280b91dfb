"""A verification runs the page's commands after the steps; one that does not do what it says fails it."""

import pytest

from tests.scenario_runs import example, run
from worker.runner import CommandsSetup

pytestmark = pytest.mark.docker

DOCKERFILE = 'FROM busybox:1.35\nCMD ["echo", "hello"]\n'
STEPS = [{"run": {"image": "app"}, "expect": {"exit_code": 0, "output_contains": "hello"}}]


def scenario_with(commands):
    return example(STEPS, files={"Dockerfile": DOCKERFILE}, commands=commands)


def test_the_commands_pass_and_are_part_of_the_result(docker_client, labels):
    commands = [
        {"title": "Build", "run": "docker build -t runner-hello ."},
        {"title": "Run", "run": "docker run --rm runner-hello", "expect": {"output_contains": "hello"}},
    ]
    result, events = run(docker_client, labels, scenario_with(commands), commands=CommandsSetup("hello"))
    assert result.outcome == "passed", result.detail
    assert [(c.index, c.status, c.exit_code) for c in result.commands] == [(0, "passed", 0), (1, "passed", 0)]
    assert "command 2/2: docker run --rm runner-hello" in events
    assert result.to_dict()["commands"][1]["expected"] == "exits 0, prints 'hello'"


def test_a_command_that_does_not_do_what_it_says_fails_the_verification(docker_client, labels):
    commands = [{"title": "Run a missing image", "run": "docker run --rm runner-not-built"}]
    result, _ = run(docker_client, labels, scenario_with(commands), commands=CommandsSetup("hello"))
    assert result.outcome == "failed"
    assert result.failure_reason == "COMMAND_FAILED"
    assert result.detail.startswith("command 1 (docker run --rm runner-not-built): exited 125")
    assert all(check.passed for check in result.checks)  # the steps themselves passed


def test_without_a_setup_or_for_untrusted_work_no_command_runs(docker_client, labels):
    commands = [{"title": "Would fail", "run": "false"}]
    result, _ = run(docker_client, labels, scenario_with(commands))
    assert result.outcome == "passed" and result.commands == ()
