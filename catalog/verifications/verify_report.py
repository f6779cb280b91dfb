"""Text for the terminal: a progress bar and a summary table of verifications."""

from catalog.models import Verification
from worker.contract.quantities import format_size

BAR_WIDTH = 30


def progress_line(done: int, total: int, waiting: list[Verification] = ()) -> str:
    """The bar; verifications waiting out a fault are counted with the newest cause, never as failed."""
    filled = BAR_WIDTH * done // total if total else BAR_WIDTH
    line = f"[{'#' * filled}{'.' * (BAR_WIDTH - filled)}] {done}/{total} finished"
    if waiting:
        line += f", {len(waiting)} waiting (retried by themselves): {waiting[0].detail}"
    return line


def image_sizes(verification: Verification) -> str:
    images = verification.report.images if verification.report else {}
    return ", ".join(f"{name} {format_size(facts.size)}" for name, facts in images.items()) or "-"


def result_text(row: Verification) -> str:
    if row.failure_reason:
        return f"{row.state} ({row.failure_reason})"
    return f"waiting: {row.detail}" if row.state == Verification.State.WAITING else row.state


def summary_table(rows: list[Verification]) -> str:
    header = ("example", "result", "duration", "image size")
    lines = [
        (
            str(row.example),
            result_text(row),
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
