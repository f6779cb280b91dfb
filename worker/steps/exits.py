"""How a container's run ended (exit code, OOM kill, duration, output), for the run, wait and stop steps."""

from __future__ import annotations

import contextlib
import re
import time
from datetime import datetime
from typing import TYPE_CHECKING

import requests
from docker.errors import APIError

from worker.engine.client import engine_errors, is_read_timeout
from worker.steps.context import ContainerHandle, RunContext, StepOutcome
from worker.steps.judges import (
    DURATION_MAX,
    EXIT_CODE,
    OUTPUT,
    Expectation,
    Expectations,
    bound,
    equals,
    evaluate,
    seconds,
)

if TYPE_CHECKING:
    from worker.scenario.model import Step

# Seconds to wait for an OOM event that trails a 137 exit. 2 s was once too short in the
# whole-catalog run with two workers busy (OOMKilled read false); only that rare path waits.
OOM_EVENT_GRACE = 5.0
_TIME = re.compile(r"^(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)(?:\.(\d+))?(Z|[+-]\d\d:\d\d)$")


def exit_state(ctx: RunContext, handle: ContainerHandle, deadline: float, *, stopped: bool = False) -> dict:
    """Wait for the container to exit before the deadline (killing it at the deadline) and observe it.

    `stopped` says a `docker stop` ran its course, so a SIGKILL exit was ours, not the kernel's."""
    api = ctx.client.api
    timed_out = False
    with engine_errors():
        try:
            api.wait(handle.id, timeout=max(0.5, deadline - time.monotonic()))
        except requests.RequestException as error:
            if not is_read_timeout(error):
                raise
            timed_out = True
            with contextlib.suppress(APIError):  # it may exit between the timeout and the kill
                api.kill(handle.id)
            api.wait(handle.id, timeout=30)
        handle.output.join(5)
        state = settled_state(api, handle.id, killed_by_us=timed_out or stopped)
    duration = engine_duration(state)
    return {
        "exit_code": state.get("ExitCode"),
        "oom_killed": bool(state.get("OOMKilled")),
        "duration": duration if duration is not None else time.monotonic() - handle.started,
        "output": handle.output.text(),
        "timed_out": timed_out,
        "flooded": handle.output.exceeded.is_set(),
    }


def settled_state(api, container_id: str, *, killed_by_us: bool) -> dict:
    """The container's final state. The engine may report a SIGKILL exit before it records the
    OOM event that caused it, so a 137 we did not send is read again for a moment."""
    state = api.inspect_container(container_id)["State"]
    deadline = time.monotonic() + OOM_EVENT_GRACE
    while state.get("ExitCode") == 137 and not state.get("OOMKilled") and not killed_by_us:
        if time.monotonic() > deadline:
            break
        time.sleep(0.1)
        state = api.inspect_container(container_id)["State"]
    return state


def engine_duration(state: dict) -> float | None:
    """How long the container ran by the engine's clock, which leaves out API latency."""
    started, finished = _timestamp(state.get("StartedAt")), _timestamp(state.get("FinishedAt"))
    return finished - started if started and finished and finished >= started else None


def _timestamp(text: str | None) -> float | None:
    match = _TIME.match(text or "")
    if not match or text.startswith("0001-"):
        return None
    moment = datetime.fromisoformat(match.group(1) + match.group(3).replace("Z", "+00:00"))
    return moment.timestamp() + float("0." + (match.group(2) or "0"))


def exit_outcome(
    index: int, step: Step, handle: ContainerHandle, observed: dict, expectations: Expectations
) -> StepOutcome:
    checks = tuple(evaluate(index, step.action, step.expect, observed, expectations))
    summary = f"exit {observed['exit_code']} after {seconds(observed['duration'])}"
    reason = detail = ""
    if observed["flooded"]:
        reason, detail = "OUTPUT_LIMIT", f"container {handle.name} printed more than 1 MiB and was killed"
    elif observed["timed_out"]:
        reason, detail = "RUN_TIMEOUT", f"container {handle.name} was still running at its deadline"
    elif observed["oom_killed"] and step.expect.get("oom_killed") is not True:
        reason, detail = "OOM", f"container {handle.name} ran out of memory and was killed"
    return StepOutcome(checks, reason, detail, summary, observed["output"])


# What a run or a wait step may expect of the container's end.
EXIT: Expectations = {
    "exit_code": EXIT_CODE,
    "duration_max": DURATION_MAX,
    "duration_min": Expectation("duration", bound("duration", at_most=False)),
    "oom_killed": Expectation("boolean", equals("oom_killed")),
    **OUTPUT,
}
