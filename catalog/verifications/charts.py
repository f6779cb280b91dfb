"""SVG drawn on the server: the bar chart of layer sizes and the embeddable status badge.

Pure functions without Django. Every piece of text they embed is escaped here, so a
caller may mark their output safe, and only their output. No style attributes (the
site's CSP allows no inline style): presentation attributes give a readable default,
and the site's classes restyle it (dark mode, print).
"""

from collections.abc import Sequence

from catalog.diagrams.svg import MUTED_FILL, TEXT_FILL, text
from worker.contract.quantities import format_size

CHART_WIDTH = 480
LEGEND_HEIGHT = 28
ROW_HEIGHT = 40
BAR_HEIGHT = 14
VALUE_ROOM = 76  # room right of the longest bar for its size label
LABEL_CHARS = 60
MIN_BAR = 2  # a tiny layer still shows as a sliver next to a big base

BASE_FILL = "#b5bdc8"
OWN_FILL = "#1a5fb4"

BADGE_FILLS = {
    "passed": "#2e7d32",
    "failed": "#c62828",
    "running": "#1565c0",
    "error": "#9a5800",
    "none": "#5f6975",
}
BADGE_LABEL_FILL = "#3d434b"
BADGE_HEIGHT = 20
BADGE_PADDING = 6


def _shorten(label: str, limit: int = LABEL_CHARS) -> str:
    label = " ".join(label.split())
    return label if len(label) <= limit else label[: limit - 1] + "…"


def layer_chart_svg(layers: Sequence[tuple[str, int, bool]], *, title: str = "Layer sizes") -> str:
    """A horizontal bar per layer, oldest first, as (label, size in bytes, is_base) triples.

    Base layers are drawn in the muted class, the image's own layers in the main one;
    each bar carries its size in human units and a tooltip with the full label.
    """
    count = len(layers)
    base_total = sum(size for _, size, is_base in layers if is_base)
    own_total = sum(size for _, size, is_base in layers if not is_base)
    base_count = sum(1 for *_, is_base in layers if is_base)
    description = (
        f"{count} layer{'s' if count != 1 else ''}: "
        f"{base_count} from the base image ({format_size(base_total)}), "
        f"{count - base_count} added by the Dockerfile ({format_size(own_total)})."
    )
    height = LEGEND_HEIGHT + max(count, 1) * ROW_HEIGHT + 4
    largest = max((size for _, size, _ in layers), default=0)
    room = CHART_WIDTH - VALUE_ROOM
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {CHART_WIDTH} {height}" '
        f'width="{CHART_WIDTH}" height="{height}" role="img" '
        f'aria-label="{text(title)}. {text(description)}">',
        f"<title>{text(title)}</title>",
        f"<desc>{text(description)}</desc>",
        _legend(),
    ]
    if not layers:
        parts.append(
            f'<text class="chart__empty" x="0" y="{LEGEND_HEIGHT + 24}" font-size="13" fill="{MUTED_FILL}">'
            "No layer adds any bytes.</text>"
        )
    for position, (label, size, is_base) in enumerate(layers):
        top = LEGEND_HEIGHT + position * ROW_HEIGHT
        width = max(MIN_BAR, round(room * size / largest)) if largest else MIN_BAR
        kind = "base" if is_base else "own"
        fill = BASE_FILL if is_base else OWN_FILL
        whose = "base image" if is_base else "this Dockerfile"
        parts.append(
            f'<g class="chart__row chart__row--{kind}">'
            f"<title>{text(label)}: {text(format_size(size))} ({whose})</title>"
            f'<text class="chart__label" x="0" y="{top + 13}" font-size="12" fill="{TEXT_FILL}">'
            f"{text(_shorten(label))}</text>"
            f'<rect class="chart__bar chart__bar--{kind}" x="0" y="{top + 18}" width="{width}" '
            f'height="{BAR_HEIGHT}" rx="2" fill="{fill}"/>'
            f'<text class="chart__value" x="{width + 6}" y="{top + 29}" font-size="12" fill="{MUTED_FILL}">'
            f"{text(format_size(size))}</text>"
            "</g>"
        )
    parts.append("</svg>")
    return "".join(parts)


def _legend() -> str:
    return (
        '<g class="chart__legend" aria-hidden="true">'
        '<rect class="chart__bar chart__bar--base" x="0" y="4" width="12" height="12" rx="2" '
        f'fill="{BASE_FILL}"/>'
        f'<text class="chart__legend-text" x="18" y="14" font-size="12" fill="{MUTED_FILL}">Base image</text>'
        '<rect class="chart__bar chart__bar--own" x="110" y="4" width="12" height="12" rx="2" '
        f'fill="{OWN_FILL}"/>'
        f'<text class="chart__legend-text" x="128" y="14" font-size="12" fill="{MUTED_FILL}">'
        "Added by this Dockerfile</text>"
        "</g>"
    )


def text_width(text: str) -> int:
    """Roughly how wide `text` is in 11 px Verdana, the badge font: enough to size the badge."""
    width = 0.0
    for char in text:
        if char in "fijlrtI.,:;!|' ":
            width += 3.9
        elif char in "mwMW":
            width += 10.0
        elif char.isupper() or char.isdigit():
            width += 7.5
        else:
            width += 6.6
    return round(width)


def status_badge_svg(label: str, message: str, tone: str) -> str:
    """A shields-style badge: `label` on grey, `message` on the tone's colour (passed, failed, ...)."""
    fill = BADGE_FILLS.get(tone, BADGE_FILLS["none"])
    label_text, message_text = text_width(label), text_width(message)
    left = label_text + 2 * BADGE_PADDING
    right = message_text + 2 * BADGE_PADDING
    total = left + right
    accessible = f"{label}: {message}"
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{total}" height="{BADGE_HEIGHT}" '
        f'viewBox="0 0 {total} {BADGE_HEIGHT}" role="img" aria-label="{text(accessible)}">'
        f"<title>{text(accessible)}</title>"
        '<linearGradient id="shine" x2="0" y2="100%">'
        '<stop offset="0" stop-color="#bbb" stop-opacity=".1"/><stop offset="1" stop-opacity=".1"/>'
        "</linearGradient>"
        f'<clipPath id="round"><rect width="{total}" height="{BADGE_HEIGHT}" rx="3" fill="#fff"/></clipPath>'
        '<g clip-path="url(#round)">'
        f'<rect width="{left}" height="{BADGE_HEIGHT}" fill="{BADGE_LABEL_FILL}"/>'
        f'<rect x="{left}" width="{right}" height="{BADGE_HEIGHT}" fill="{fill}"/>'
        f'<rect width="{total}" height="{BADGE_HEIGHT}" fill="url(#shine)"/>'
        "</g>"
        '<g fill="#fff" text-anchor="middle" font-family="Verdana,Geneva,DejaVu Sans,sans-serif" '
        'font-size="11">'
        f'<text x="{left / 2:g}" y="15" fill="#010101" fill-opacity=".3" textLength="{label_text}">'
        f"{text(label)}</text>"
        f'<text x="{left / 2:g}" y="14" textLength="{label_text}">{text(label)}</text>'
        f'<text x="{left + right / 2:g}" y="15" fill="#010101" fill-opacity=".3" textLength="{message_text}">'
        f"{text(message)}</text>"
        f'<text x="{left + right / 2:g}" y="14" textLength="{message_text}">{text(message)}</text>'
        "</g></svg>"
    )
