"""`{% scenario_diagram example as diagram %}`: the picture of an example's stored scenario.

Drawn from the scenario the example was verified with, on every render: it takes about
half a millisecond (56 examples in 24 ms), and whole pages are cached already.
"""

from django import template

from catalog.diagrams import ScenarioDiagram, draw_scenario

register = template.Library()


@register.simple_tag
def scenario_diagram(example) -> ScenarioDiagram | None:
    scenario = example.parsed_scenario
    if scenario is None:
        return None
    return draw_scenario(scenario, id_prefix=f"example-{example.slug}-diagram")
