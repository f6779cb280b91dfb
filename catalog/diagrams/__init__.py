"""Pictures drawn on the server from stored data: an example's scenario, the catalog's relations."""

from __future__ import annotations

from dataclasses import dataclass

from catalog.diagrams.scenario_svg import scenario_svg
from catalog.diagrams.topology import StepLine, build_topology
from worker.scenario import Scenario


@dataclass(frozen=True)
class ScenarioDiagram:
    svg: str  # every text in it escaped: the one string a template may mark safe
    summary: str  # the picture in a paragraph, also the SVG's <desc>
    steps: tuple[StepLine, ...]  # the numbered steps in words, the picture's text version


def draw_scenario(scenario: Scenario, *, id_prefix: str) -> ScenarioDiagram:
    """The picture of a scenario and its text alternative; `id_prefix` keeps its ids unique on a page."""
    topology = build_topology(scenario)
    title = f"What the example sets up: {scenario.title}"
    return ScenarioDiagram(
        svg=scenario_svg(topology, title=title, id_prefix=id_prefix),
        summary=topology.summary(),
        steps=topology.steps,
    )


__all__ = ["ScenarioDiagram", "StepLine", "draw_scenario"]
