"""The step registry is complete and consistent: every action has its schema, title, handler and judges."""

import importlib
import inspect
import pkgutil
import re
from pathlib import Path

import pytest

import worker.steps
from worker.scenario import parse_scenario
from worker.scenario.kinds import KINDS
from worker.scenario.model import Step
from worker.steps.action import StepAction
from worker.steps.judges import Expectation
from worker.steps.registry import ACTIONS, COMPARISON, describe

AUTHORING = Path(__file__).resolve().parent.parent / "patterns" / "AUTHORING.md"
# A value for each parameter an action may require, enough to title a step.
SAMPLE = {
    "image": "app",
    "touch": "app.sh",
    "container": "web",
    "command": ["echo", "hi"],
    "port": 8080,
    "volume": "site",
    "path": "/index.html",
    "content": "hello",
    "project": {"file": "docker-compose.yml", "services": [], "networks": []},
}


def units() -> list[StepAction]:
    """Every StepAction defined by a module of worker/steps, registered or not."""
    found = []
    for module_info in pkgutil.iter_modules(worker.steps.__path__):
        module = importlib.import_module(f"worker.steps.{module_info.name}")
        found += [value for value in vars(module).values() if isinstance(value, StepAction)]
    return found


def test_every_unit_in_the_package_is_registered_under_its_name():
    assert {id(action) for action in units()} == {id(action) for action in ACTIONS.values()}
    assert all(name == action.name for name, action in ACTIONS.items())


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_an_action_declares_its_schema_in_known_kinds(name):
    action = ACTIONS[name]
    assert action.params and set(action.params.values()) <= KINDS
    assert action.required <= set(action.params)
    assert action.shorthand is None or action.shorthand in action.required
    assert set(action.expect_kinds.values()) <= KINDS


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_an_action_has_a_judge_for_each_expectation_it_accepts(name):
    for field, expectation in ACTIONS[name].expect.items():
        assert isinstance(expectation, Expectation), field
        assert callable(expectation.judge), field


@pytest.mark.parametrize("name", sorted(ACTIONS))
def test_an_action_has_a_handler_and_a_title(name):
    action = ACTIONS[name]
    assert list(inspect.signature(action.handler).parameters) == ["ctx", "index", "step"]
    step = Step(name, {field: SAMPLE[field] for field in action.required})
    assert describe(step).startswith(f"{name} ")


def test_comparisons_are_judged_and_checked_alike():
    assert COMPARISON and all(isinstance(e, Expectation) and e.kind in KINDS for e in COMPARISON.values())


def test_the_schema_accepts_exactly_the_registered_actions():
    _, errors = parse_scenario(
        {"title": "t", "summary": "s", "images": {"app": {"dockerfile": "D"}}, "steps": [{"dance": {}}]},
        {"D": ""},
    )
    listed = re.search(r"among (.*)$", str(errors[0])).group(1).split(", ")
    assert listed == sorted(ACTIONS)


def test_the_authoring_guide_has_a_row_for_every_action():
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", AUTHORING.read_text(), re.MULTILINE))
    assert set(ACTIONS) <= rows, sorted(set(ACTIONS) - rows)
