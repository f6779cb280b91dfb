"""The catalog's typed relations as an arc diagram: one row per pattern, one arc per relation.

Patterns are listed down the page in the periodic table's order, grouped as the table
groups them, so a reader finds a pattern where they expect it; each relation is an arc
on the right from the pattern that states it to the one it names, styled by its kind.
An arc diagram needs no force layout, so the same relations always give the same bytes,
and it grows downwards, which suits a phone. Every name is a link to its pattern's page.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from math import sqrt

from catalog.diagrams import svg

WIDTH = 480
LABEL_END = 250  # names are right-aligned here
DOT_X = 258
ARC_X = DOT_X + 5
ROW, GROUP_GAP, NAME_SIZE = 22, 30, 13
MIN_BEND, MAX_BEND = 14, (WIDTH - 6 - ARC_X) / 0.75  # a cubic arc reaches 3/4 of its bend
LEGEND_ROW = 22
LINK_FILL = "#1a5fb4"


STROKES = {
    "uses": svg.Stroke("#1a5fb4", "", 1.5),
    "part-of": svg.Stroke("#6b3fa0", "7 3", 2),
    "alternative-to": svg.Stroke("#a34f00", "4 3", 1.5),
    "fixes": svg.Stroke("#2a7a32", "", 2.5),
    "realises": svg.Stroke("#0b7285", "2 2", 1.5),
    "related": svg.Stroke("#8a94a1", "1 3", 1.2),
}


@dataclass(frozen=True)
class GraphNode:
    slug: str
    name: str
    url: str


@dataclass(frozen=True)
class GraphGroup:
    title: str
    nodes: tuple[GraphNode, ...]


@dataclass(frozen=True)
class GraphEdge:
    source: str  # slugs; the relation reads "source <kind> target"
    kind: str
    target: str


@dataclass(frozen=True)
class Layout:
    rows: dict[str, float]  # the y of each pattern's row, by slug
    names: dict[str, str]
    words: Mapping[str, str]
    longest: float  # the tallest arc's span: bends grow with the span up to this one

    def arc(self, edge: GraphEdge, css: str, hidden: bool = False) -> str:
        stroke = STROKES.get(edge.kind, STROKES["related"])
        start, end = self.rows[edge.source], self.rows[edge.target]
        bend = MIN_BEND + (MAX_BEND - MIN_BEND) * sqrt(abs(end - start) / self.longest)
        sentence = (
            f"{self.names[edge.source]} {self.words.get(edge.kind, edge.kind)} {self.names[edge.target]}"
        )
        kind = svg.text(edge.kind)
        data = (
            f'data-kind="{kind}" data-source="{svg.text(edge.source)}" data-target="{svg.text(edge.target)}"'
        )
        shown = ' visibility="hidden"' if hidden else ""
        return (
            f'<g class="{css} relations-graph__edge--{kind}" color="{stroke.colour}" {data}{shown}>'
            f"<title>{svg.text(sentence)}</title>"
            f"{stroke.path(svg.loop(ARC_X, start, end, bend))}{svg.arrowhead(ARC_X, end, 'left', 5)}</g>"
        )


def relations_svg(groups: Sequence[GraphGroup], edges: Sequence[GraphEdge], words: Mapping[str, str]) -> str:
    """`words` names each kind as a sentence reads it ("uses", "is part of"), in the legend's order."""
    kinds = [kind for kind in words if any(edge.kind == kind for edge in edges)]
    top = 8 + LEGEND_ROW * ((len(kinds) + 1) // 2) + 16
    rows: dict[str, float] = {}
    headings = []
    y = top
    for group in groups:
        headings.append(
            svg.label(
                0, y + GROUP_GAP - 10, group.title, "relations-graph__group diagram__muted", 12, bold=True
            )
        )
        y += GROUP_GAP
        for node in group.nodes:
            rows[node.slug] = y
            y += ROW
    edges = [edge for edge in edges if edge.source in rows and edge.target in rows]
    names = {node.slug: node.name for group in groups for node in group.nodes}
    layout = Layout(rows, names, words, max((abs(rows[e.target] - rows[e.source]) for e in edges), default=1))
    tally = ", ".join(f"{words[k]} ({sum(e.kind == k for e in edges)})" for k in kinds)
    description = f"{svg.counted(len(names), 'pattern')} and {svg.counted(len(edges), 'relation')}: {tally}."
    parts = [
        svg.open_svg(
            "relations-graph",
            WIDTH,
            y + 8,
            "relations-graph",
            "How the patterns relate",
            description,
            role="group",
        )
    ]
    parts += [legend(kinds, words), *headings]
    parts += [node_svg(node, layout, edges) for group in groups for node in group.nodes]
    parts.append("</svg>")
    return "".join(parts)


def node_svg(node: GraphNode, layout: Layout, edges: Sequence[GraphEdge]) -> str:
    """A name and its dot, linked to the pattern, with the arcs of the relations it states. The arcs
    that name it are repeated hidden, so that hovering the pattern, or arriving at it from its page
    (its id is a fragment target), shows every relation it takes part in."""
    y, slug = layout.rows[node.slug], svg.text(node.slug)
    name = svg.fit(node.name, LABEL_END, NAME_SIZE)
    parts = [
        f'<g class="relations-graph__node" id="node-{slug}" data-slug="{slug}">',
        f'<a href="{svg.text(node.url)}">',
        svg.label(LABEL_END, y + 4.5, name, "relations-graph__name", NAME_SIZE, "end", fill=LINK_FILL),
        f'<circle class="relations-graph__dot" cx="{DOT_X}" cy="{y:g}" r="4" fill="#fff" stroke="#56606d"/>',
        f"<title>{svg.text(node.name)}</title></a>",
    ]
    parts += [layout.arc(edge, "relations-graph__edge") for edge in edges if edge.source == node.slug]
    parts += [layout.arc(e, "relations-graph__echo", hidden=True) for e in edges if e.target == node.slug]
    parts.append("</g>")
    return "".join(parts)


def legend(kinds: Sequence[str], words: Mapping[str, str]) -> str:
    parts = ['<g class="relations-graph__legend" aria-hidden="true">']
    for index, kind in enumerate(kinds):
        x, y = (index % 2) * (WIDTH / 2), 14 + (index // 2) * LEGEND_ROW
        stroke = STROKES.get(kind, STROKES["related"])
        css = f"relations-graph__edge--{svg.text(kind)}"
        parts.append(svg.legend_line(x, y, css, stroke, f"A {words[kind]} B", arrow=True))
    parts.append("</g>")
    return "".join(parts)
