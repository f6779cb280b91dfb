"""example.yaml: the Scenario it describes (model), and its checked parsing (parser, fields, kinds)."""

from worker.scenario.model import (
    DEFAULT_TIMEOUT,
    Command,
    Comparison,
    ImageSpec,
    Scenario,
    ScenarioError,
    Step,
    VolumeSpec,
)

__all__ = [
    "DEFAULT_TIMEOUT",
    "Command",
    "Comparison",
    "ImageSpec",
    "Scenario",
    "ScenarioError",
    "Step",
    "VolumeSpec",
    "parse_scenario",
]


def __getattr__(name: str):
    # The parser reads the steps' schemas (worker/steps/), and the steps' judges match with
    # worker/scenario/expressions.py: importing the parser only when it is asked for keeps
    # `import worker.scenario.expressions` from going round that circle.
    if name == "parse_scenario":
        from worker.scenario.parser import parse_scenario

        return parse_scenario
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
