"""Text for the terminal: a progress bar and a summary table of verifications."""

from catalog.models import Verification
from worker.quantities import format_size

BAR_WIDTH = 30


def progress_line(done: int, total: int) -> str:
    filled = BAR_WIDTH * done // total if total else BAR_WIDTH
    return f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} finished"


def image_sizes(verification: Verification) -> str:
    images = (verification.result or {}).get("images") or {}
    return ", ".join(f"{name} {format_size(facts['size'])}" for name, facts in images.items()) or "-"


def summary_table(rows: list[Verification]) -> str:
    header = ("example", "result", "duration", "image size")
    lines = [
        (
            str(row.example),
            row.state + (f" ({row.failure_reason})" if row.failure_reason else ""),
            f"{row.duration:.1f} s" if row.duration is not None else "-",
            image_sizes(row),
        )
        for row in sorted(rows, key=lambda row: str(row.example))
    ]
    widths = [max(len(str(line[i])) for line in [header, *lines]) for i in range(len(header))]
    render = [
        "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)) for line in lines
    ]
    rule = "  ".join("-" * width for width in widths)
    head = "  ".join(cell.ljust(width) for cell, width in zip(header, widths, strict=True))
    return "\n".join([head, rule, *render])
