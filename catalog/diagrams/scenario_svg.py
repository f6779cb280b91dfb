"""The SVG picture of one example's scenario: images, containers, volumes and networks in three columns.

Images on the left run as the containers in the middle (in the order the steps start
them); volumes, networks and what of the host a container uses sit on the right.
Containers that join another's namespaces are linked by arcs beside the middle column,
one per namespace. Each node carries the numbers of the steps that act on it, so the
order of the scenario can be read off the picture and matched to the list of steps.
"""

from __future__ import annotations

from dataclasses import dataclass

from catalog.diagrams import svg
from catalog.diagrams.topology import ARCS, Edge, Node, Topology

# Narrow enough that a phone shows it at over four fifths of its size; names are short.
WIDTH = 414  # the right column ends at 410; the rest is room for its border
IMAGE_X, IMAGE_W = 0, 96
CONTAINER_X, CONTAINER_W = 122, 132
RESOURCE_X, RESOURCE_W = 290, 120
TOP = 30  # below the column headings
GAP = 14
NAME_H, LINE_H, BADGE_H, PAD = 24, 15, 22, 6
BADGE_R = 9
LEGEND_H = 22


STROKES = {
    "runs": svg.Stroke("#56606d", "", 1.5, "image a container runs"),
    "mount": svg.Stroke("#a34f00", "", 1.5, "volume mounted"),
    "network": svg.Stroke("#2a7a32", "", 2.5, "network joined"),
    "network-namespace": svg.Stroke("#2a7a32", "6 3", 2, "joins a network namespace"),
    "pid-namespace": svg.Stroke("#a1006b", "2 3", 2, "joins a PID namespace"),
    "ipc-namespace": svg.Stroke("#0b7285", "8 3 2 3", 2, "joins an IPC namespace"),
    "volumes-from": svg.Stroke("#a34f00", "4 2", 2, "takes another's volumes"),
    "host": svg.Stroke("#c4302b", "1 3", 2.5, "uses the host"),
    "depends-on": svg.Stroke("#56606d", "3 3", 1.5, "starts after another (Compose)"),
}
# How far beside the containers each kind of arc swings, so that joins of one pair stay apart.
ARC_BEND = dict(zip(ARCS, (12, 19, 26, 33, 40), strict=True))
# The right column's heading ends at its right edge: it is wider than the column.
HEADINGS = (
    (IMAGE_X, "start", "Images"),
    (CONTAINER_X, "start", "Containers"),
    (RESOURCE_X + RESOURCE_W, "end", "Volumes, networks"),
)


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    width: float
    height: float

    @property
    def middle(self) -> float:
        return self.y + self.height / 2


def scenario_svg(topology: Topology, *, title: str, id_prefix: str) -> str:
    """The whole picture; the same topology always gives the same bytes."""
    boxes = place(topology)
    bottom = max((b.y + b.height for b in boxes.values()), default=TOP)
    kinds = [kind for kind in STROKES if any(e.kind == kind for e in topology.edges)]
    sides = {line.number: line.side for line in topology.steps}
    entries = legend_entries(kinds, [side for side in ("before", "after") if side in sides.values()])
    legend_top = bottom + 24
    height = legend_top + LEGEND_H * ((len(entries) + 1) // 2)
    parts = [svg.open_svg("diagram", WIDTH, height, id_prefix, title, topology.summary())]
    parts += [
        svg.label(x, 14, words, "diagram__heading diagram__muted", 11, anchor, bold=True)
        for (x, anchor, words), nodes in zip(
            HEADINGS, (topology.images, topology.containers, topology.resources), strict=True
        )
        if nodes
    ]
    parts += [edge_svg(edge, boxes, topology) for edge in topology.edges]
    parts += [
        node_svg(node, boxes[node.key], sides)
        for node in (*topology.images, *topology.containers, *topology.resources)
    ]
    parts.append(legend(entries, legend_top))
    parts.append("</svg>")
    return "".join(parts)


def badges_per_row(width: float) -> int:
    return max(1, int((width - 2 * PAD) // BADGE_H))


def node_height(node: Node, width: float) -> float:
    rows = -(-len(node.steps) // badges_per_row(width))
    return NAME_H + (LINE_H if second_line(node) else 0) + rows * BADGE_H + PAD


def second_line(node: Node) -> str:
    if node.ports:
        return "port " + ", ".join(str(port) for port in dict.fromkeys(node.ports)) + " probed"
    return node.detail


def place(topology: Topology) -> dict[str, Box]:
    """Containers stack down the middle; an image or resource sits level with the first container
    that uses it when there is room, which keeps most edges short and flat."""
    boxes: dict[str, Box] = {}
    y = TOP
    for node in topology.containers:
        boxes[node.key] = Box(CONTAINER_X, y, CONTAINER_W, node_height(node, CONTAINER_W))
        y += boxes[node.key].height + GAP
    for nodes, x, width, end, other in (
        (topology.images, IMAGE_X, IMAGE_W, "source", "target"),
        (topology.resources, RESOURCE_X, RESOURCE_W, "target", "source"),
    ):
        y = TOP
        for node in nodes:
            user = next((getattr(e, other) for e in topology.edges if getattr(e, end) == node.key), None)
            wanted = boxes[user].y if user else y
            boxes[node.key] = Box(x, max(y, wanted), width, node_height(node, width))
            y = boxes[node.key].y + boxes[node.key].height + GAP
    return boxes


def edge_svg(edge: Edge, boxes: dict[str, Box], topology: Topology) -> str:
    stroke = STROKES[edge.kind]
    source, target = boxes[edge.source], boxes[edge.target]
    if edge.kind == "runs":
        x1, x2 = source.x + source.width, target.x
        path, tip = svg.curve(x1, source.middle, x2, target.middle), svg.arrowhead(x2, target.middle, "right")
    elif edge.kind in ARC_BEND:
        # Both ends on the containers' right side; the arrow points at the container joined.
        # They attach below the name row, where edges to volumes and networks leave.
        x, nudge = source.x + source.width, 4 + list(ARC_BEND).index(edge.kind) * 4
        y1, y2 = source.middle + nudge, target.middle + nudge
        path, tip = svg.loop(x, y1, y2, ARC_BEND[edge.kind]), svg.arrowhead(x, y2, "left")
    else:
        x1, y1 = source.x + source.width, source.y + NAME_H / 2
        path, tip = svg.curve(x1, y1, target.x, target.middle), ""
    ends = f'data-source="{svg.text(edge.source)}" data-target="{svg.text(edge.target)}"'
    data = f'data-kind="{edge.kind}" {ends} data-step="{edge.step}"'
    return (
        f'<g class="diagram__edge diagram__edge--{edge.kind}" color="{stroke.colour}" {data}>'
        f"<title>{svg.text(topology.sentence(edge))} (step {edge.step}).</title>"
        f"{stroke.path(path)}{tip}</g>"
    )


def node_svg(node: Node, box: Box, sides: dict[int, str]) -> str:
    x, y, w, h = box.x, box.y, box.width, box.height
    hint = ", ".join([node.label, *filter(None, [node.detail, *node.notes])])
    parts = [
        f'<g class="diagram__node diagram__node--{node.kind}" data-key="{svg.text(node.key)}">',
        f"<title>{svg.text(hint)}</title>",
        shape(node.kind, x, y, w, h),
        svg.label(
            x + PAD + 2,
            y + 17,
            svg.fit(node.label, w - 2 * PAD - 4, 12.5, True),
            "diagram__name",
            12.5,
            bold=True,
        ),
    ]
    row_top = y + NAME_H
    if line := second_line(node):
        parts.append(
            svg.label(x + PAD + 2, row_top + 6, svg.fit(line, w - 2 * PAD, 11), "diagram__muted", 11)
        )
        row_top += LINE_H
    per_row = badges_per_row(w)
    for index, number in enumerate(node.steps):
        cx = x + PAD + BADGE_R + 2 + (index % per_row) * BADGE_H
        cy = row_top + BADGE_R + (index // per_row) * BADGE_H
        parts.append(badge(cx, cy, number, sides[number]))
    parts.append("</g>")
    return "".join(parts)


def shape(kind: str, x: float, y: float, w: float, h: float) -> str:
    """An image is a stack of layers, a container a box, a volume a drum, a network a pill."""
    fill = f'fill="{svg.SURFACE_FILL}" stroke="{svg.BORDER}" stroke-width="1.5"'
    box = f'<rect class="diagram__shape" x="{x:g}" y="{y:g}" width="{w:g}" height="{h:g}"'
    if kind == "image":
        back = f'<rect class="diagram__shape diagram__shape--back" x="{x + 4:g}" y="{y - 4:g}" width="{w:g}"'
        return f'{back} height="{h:g}" rx="4" {fill}/>{box} rx="4" {fill}/>'
    if kind == "volume":
        e, rx = 5, w / 2
        return (
            f'<path class="diagram__shape" d="M{x:g} {y + e:g}A{rx:g} {e} 0 0 1 {x + w:g} {y + e:g}'
            f'V{y + h - e:g}A{rx:g} {e} 0 0 1 {x:g} {y + h - e:g}Z" {fill}/>'
            f'<path class="diagram__shape-line" d="M{x:g} {y + e:g}A{rx:g} {e} 0 0 0 {x + w:g} {y + e:g}" '
            f'fill="none" stroke="{svg.BORDER}" stroke-width="1.5"/>'
        )
    if kind == "network":
        return f'{box} rx="{min(h / 2, 14):g}" {fill}/>'
    return f'{box} rx="{8 if kind == "container" else 2}" {fill}/>'


def badge(cx: float, cy: float, number: int, side: str, sample: bool = False) -> str:
    """A numbered step; a step of an anti-pattern's mistake has a broken ring, one of its fix a bold one."""
    data = "" if sample else f' data-step="{number}"'  # the legend's samples are no steps
    ring = {"before": ' stroke-dasharray="3 2"', "after": ' stroke-width="2"'}.get(side, "")
    return (
        f'<g class="diagram__step{f" diagram__step--{side}" if side else ""}"{data}>'
        f'<circle cx="{cx:g}" cy="{cy:g}" r="{BADGE_R}" fill="#eef1f5" stroke="{svg.BORDER}"{ring}/>'
        f"{svg.label(cx, cy + 4, str(number), 'diagram__step-number', 11, 'middle', True)}</g>"
    )


def legend_entries(kinds: list[str], sides: list[str]) -> list[tuple[str, str]]:
    """(stroke kind or "step:<side>", words): the strokes this picture draws, then its badges."""
    entries = [(kind, STROKES[kind].legend) for kind in kinds]
    entries.append(("step:", "a step, numbered in order"))
    words = {"before": "a step of the mistake", "after": "a step of the fix"}
    return entries + [(f"step:{side}", words[side]) for side in sides]


def legend(entries: list[tuple[str, str]], top: float) -> str:
    parts = ['<g class="diagram__legend" aria-hidden="true">']
    for index, (kind, words) in enumerate(entries):
        x, y = (index % 2) * (WIDTH / 2), top + (index // 2) * LEGEND_H
        if kind.startswith("step:"):
            parts.append(badge(x + 12, y, 1, kind.removeprefix("step:"), sample=True))
            parts.append(svg.label(x + 30, y + 4, words, "diagram__legend-text diagram__muted", 12))
        else:
            parts.append(svg.legend_line(x, y, f"diagram__edge--{kind}", STROKES[kind], words))
    parts.append("</g>")
    return "".join(parts)
