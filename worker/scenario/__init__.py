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
from worker.scenario.parser import parse_scenario

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
