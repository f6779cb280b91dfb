"""CPU time of each side's client processes: bash and the docker CLI, or the worker and manage.py."""

from __future__ import annotations

import os
import resource
from pathlib import Path

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def children_cpu() -> float:
    """CPU seconds of the finished child processes (and theirs): bash and the docker CLI, or manage.py."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_cpu(root: int) -> float:
    """CPU seconds of a running process and its living descendants: the worker and its pool."""
    stats = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        stats[int(stat_file.parent.name)] = (
            int(fields[1]),
            (int(fields[11]) + int(fields[12])) / CLOCK_TICKS,
        )
    wanted = {root}
    while grown := {pid for pid, (ppid, _) in stats.items() if ppid in wanted} - wanted:
        wanted |= grown
    return sum(stats[pid][1] for pid in wanted if pid in stats)
