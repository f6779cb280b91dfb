"""What the worker recorded, read back: its verification rows, its log, the cold run's breakdown."""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from verify_examples import Example, Timing

_RECEIVED = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/MainProcess\] Task catalog\.verify\[.*\] received$",
    re.M,
)


@dataclass(frozen=True)
class Row:
    example: str
    state: str
    reason: str
    detail: str
    queued: float
    started: float | None
    finished: float | None
    duration: float | None
    result: dict


def timestamp(text: str | None) -> float | None:
    return datetime.fromisoformat(text).replace(tzinfo=UTC).timestamp() if text else None


def verification_rows(database: Path, since: float) -> list[Row]:
    query = """
        SELECT p.slug || '/' || e.slug, v.state, v.failure_reason, v.detail, v.queued_at, v.started_at,
               v.finished_at, v.duration, v.result
        FROM catalog_verification v JOIN catalog_example e ON e.id = v.example_id
        JOIN catalog_pattern p ON p.id = e.pattern_id"""
    with contextlib.closing(sqlite3.connect(database)) as db:
        found = db.execute(query).fetchall()
    rows = [
        Row(
            *row[:4],
            timestamp(row[4]),
            timestamp(row[5]),
            timestamp(row[6]),
            row[7],
            json.loads(row[8] or "{}"),
        )
        for row in found
    ]
    return [row for row in rows if row.queued >= since]


def worker_timing(example: Example, row: Row) -> Timing:
    steps = [
        step["duration"]
        for step in row.result.get("steps", [])
        if step["index"] < len(example.scenario.steps)
    ]
    builds = row.result.get("builds") or []
    cached = sum(step["cached"] for step in builds[0]["steps"]) if builds else 0
    return Timing(row.duration or 0.0, tuple(steps), sum(len(build["steps"]) for build in builds), cached)


def received_times(log: Path, since: float) -> list[float]:
    """When the worker's main process took each verify message from the broker (its log's local time)."""
    found = _RECEIVED.findall(log.read_text(errors="replace"))
    moments = [datetime.strptime(text, "%Y-%m-%d %H:%M:%S,%f").timestamp() for text in found]
    return [moment for moment in moments if moment >= since]


def breakdown(rows: list[Row], received: list[float], started: float, ended: float) -> dict[str, float]:
    """The cold command's wall time cut into consecutive parts (one worker runs the tasks one by one)."""
    ran = sorted((row for row in rows if row.started and row.finished), key=lambda row: row.started)
    if not ran:
        return {}
    waiting, dispatch, previous = 0.0, 0.0, min(row.queued for row in rows)
    for row, taken in zip(ran, received, strict=False):  # one worker, one task at a time: same order
        waiting += taken - previous
        dispatch += row.started - taken
        previous = row.finished
    return {
        "command start-up until the first row is queued": min(row.queued for row in rows) - started,
        "broker: queued (or previous done) to received, 1 s polls": waiting,
        "worker: received to claimed (pool, engine connect, claim)": dispatch,
        "runner: run_scenario (builds, steps, clean-up)": sum(row.duration or 0.0 for row in ran),
        "task around the runner: fingerprint, writes, log thread": sum(
            row.finished - row.started - (row.duration or 0.0) for row in ran
        ),
        "command noticing the end (1 s polls) and exiting": ended - ran[-1].finished,
    }
