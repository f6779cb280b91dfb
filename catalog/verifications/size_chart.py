"""SVG line of one image's size over its past verifications: a regression shows as a step up.

Pure function without Django, like charts.py: every text it embeds is escaped here.
"""

from collections.abc import Sequence
from datetime import datetime
from html import escape

from worker.contract.quantities import format_size

WIDTH = 480
HEIGHT = 120
PAD_LEFT = 8
PAD_RIGHT = 84  # room for the newest size's label
PAD_Y = 16
LINE = "#1a5fb4"


def size_history_svg(name: str, points: Sequence[tuple[datetime, int]]) -> str:
    """Sizes oldest first, one dot per passed verification; equal sizes draw a flat line."""
    title = f"Size of image {name} over the last {len(points)} verifications"
    first, last = points[0][1], points[-1][1]
    low, high = min(size for _, size in points), max(size for _, size in points)
    description = (
        f"From {format_size(first)} on {points[0][0]:%Y-%m-%d} to {format_size(last)} on "
        f"{points[-1][0]:%Y-%m-%d}; smallest {format_size(low)}, largest {format_size(high)}."
    )
    span = high - low
    step = (WIDTH - PAD_LEFT - PAD_RIGHT) / max(len(points) - 1, 1)

    def y(size: int) -> float:
        # A flat history sits in the middle instead of on an edge.
        share = 0.5 if span == 0 else (size - low) / span
        return round(HEIGHT - PAD_Y - share * (HEIGHT - 2 * PAD_Y), 1)

    coordinates = [(round(PAD_LEFT + index * step, 1), y(size)) for index, (_, size) in enumerate(points)]
    path = " ".join(f"{x},{y_}" for x, y_ in coordinates)
    dots = "".join(
        f'<circle class="size-chart__dot" cx="{x}" cy="{y_}" r="3" fill="{LINE}">'
        f"<title>{escape(f'{when:%Y-%m-%d %H:%M}: {format_size(size)}')}</title></circle>"
        for (x, y_), (when, size) in zip(coordinates, points, strict=True)
    )
    end_x, end_y = coordinates[-1]
    end_label = f'<text class="chart__value" x="{end_x + 8}" y="{end_y + 4}" font-size="12">'
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart size-chart" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{escape(title)}. {escape(description)}">'
        f"<title>{escape(title)}</title><desc>{escape(description)}</desc>"
        f'<polyline class="size-chart__line" points="{path}" fill="none" stroke="{LINE}" stroke-width="2"/>'
        f"{dots}"
        f"{end_label}{escape(format_size(last))}</text>"
        "</svg>"
    )
