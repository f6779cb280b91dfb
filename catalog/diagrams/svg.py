"""Small pieces both diagrams draw with: escaped text, strokes, labels cut to a width, arrowheads, legends.

Every text that reaches an SVG passes through `text()` here, so the drawing modules may
return markup that a template marks safe. No style attributes (the site's CSP forbids
inline style): presentation attributes give a readable default and site.css restyles
them, dark mode included.
"""

from __future__ import annotations

from html import escape
from typing import NamedTuple

SVG_NS = "http://www.w3.org/2000/svg"
FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
TEXT_FILL = "#1a1f27"
MUTED_FILL = "#56606d"
SURFACE_FILL = "#ffffff"
BORDER = "#b5bdc8"


class Stroke(NamedTuple):
    """How the edges of one kind are drawn."""

    colour: str  # the default; site.css restyles each kind by its class, dark mode included
    dash: str
    width: float
    legend: str = ""  # what the legend says of the kind, where the picture's legend has fixed words

    def path(self, d: str) -> str:
        """A line along `d` in the colour of the group it sits in."""
        dashes = f' stroke-dasharray="{self.dash}"' if self.dash else ""
        return f'<path d="{d}" fill="none" stroke="currentColor" stroke-width="{self.width:g}"{dashes}/>'


def text(value: object) -> str:
    """Escaped for element content and for attribute values alike."""
    return escape(str(value), quote=True)


def counted(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def char_width(size: float, bold: bool = False) -> float:
    # DejaVu Sans, the widest sans a reader is likely to have, averages these (measured in
    # Chromium); narrower fonts leave room to spare. The full label is always in a <title>.
    return size * (0.64 if bold else 0.57)


def fit(label: str, width: float, size: float, bold: bool = False) -> str:
    """The label, cut with an ellipsis so that it fits `width` pixels."""
    label = " ".join(label.split())
    if len(label) * char_width(size, bold) <= width:
        return label
    keep = max(1, int(width / char_width(size, bold)) - 1)
    return label[:keep] + "…"


def label(
    x: float,
    y: float,
    value: str,
    css: str,
    size: float = 12,
    anchor: str = "start",
    bold: bool = False,
    fill: str = "",
) -> str:
    fill = fill or (MUTED_FILL if "muted" in css else TEXT_FILL)
    weight = ' font-weight="600"' if bold else ""
    return (
        f'<text class="{css}" x="{x:g}" y="{y:g}" font-size="{size:g}" text-anchor="{anchor}" '
        f'fill="{fill}"{weight}>{text(value)}</text>'
    )


def arrowhead(x: float, y: float, pointing: str, size: float = 6) -> str:
    """A filled triangle whose tip is at (x, y), in the colour of the group it sits in."""
    back = -size if pointing == "right" else size
    return (
        f'<path class="diagram__arrow" d="M{x:g} {y:g}L{x + back:g} {y - size * 0.6:g}'
        f'L{x + back:g} {y + size * 0.6:g}Z" fill="currentColor"/>'
    )


def curve(x1: float, y1: float, x2: float, y2: float) -> str:
    """A cubic path from one point rightwards to another, leaving and arriving horizontally."""
    bend = (x2 - x1) / 2
    return f"M{x1:g} {y1:g}C{x1 + bend:g} {y1:g} {x2 - bend:g} {y2:g} {x2:g} {y2:g}"


def loop(x: float, y1: float, y2: float, bend: float) -> str:
    """A cubic path from (x, y1) out to the right and back to (x, y2), its control points `bend` px out."""
    return f"M{x:g} {y1:g}C{x + bend:g} {y1:g} {x + bend:g} {y2:g} {x:g} {y2:g}"


def open_svg(
    css: str, width: float, height: float, id_prefix: str, title: str, description: str, role: str = "img"
) -> str:
    """The root element, labelled by its own <title> and <desc> (ids unique on a page by prefix).

    A picture is an img; one with links in it a group, since an img hides what it holds from assistive
    technology, links included."""
    return (
        f'<svg xmlns="{SVG_NS}" class="{css}" viewBox="0 0 {width:g} {height:g}" width="{width:g}" '
        f'height="{height:g}" role="{role}" aria-labelledby="{text(id_prefix)}-title {text(id_prefix)}-desc" '
        f'font-family="{text(FONT)}">'
        f'<title id="{text(id_prefix)}-title">{text(title)}</title>'
        f'<desc id="{text(id_prefix)}-desc">{text(description)}</desc>'
    )


def legend_line(x: float, y: float, css: str, stroke: Stroke, words: str, arrow: bool = False) -> str:
    """A sample of an edge's stroke (pointing right when edges have a direction), then what it means."""
    tip = arrowhead(x + 26, y, "right", 5) if arrow else ""
    return (
        f'<g class="{css}" color="{stroke.colour}">{stroke.path(f"M{x:g} {y:g}h24")}{tip}'
        f"{label(x + 32, y + 4, words, 'diagram__legend-text diagram__muted', 12)}</g>"
    )
