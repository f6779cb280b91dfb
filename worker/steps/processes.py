"""The processes step: a container's processes as the engine lists them, counted and searched."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from worker.engine.client import engine_errors
from worker.steps.action import StepAction, on_container
from worker.steps.context import RunContext, StepOutcome
from worker.steps.judges import OUTPUT, Expectation, Judge, Observed, Verdict, evaluate

if TYPE_CHECKING:
    from worker.scenario.model import Step

# The engine runs the host's ps and keeps the rows of the container's processes; STAT shows states.
PS_ARGUMENTS = "-eo pid,ppid,user,stat,args"


def processes_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    """The container's processes as the engine lists them (`docker top`), one row per process.

    On cgroup v1 an exited, unreaped child leaves the cgroup, so the engine's list
    misses zombies; an `exec` of `ps` inside the container shows them.
    """
    handle = ctx.containers[step.params["container"]]
    with engine_errors():
        top = ctx.client.api.top(handle.id, ps_args=PS_ARGUMENTS)
    rows = [" ".join(row) for row in top.get("Processes") or []]
    observed = {"rows": rows, "output": "\n".join(rows)}
    checks = tuple(evaluate(index, "processes", step.expect, observed, EXPECT))
    return StepOutcome(checks, summary=f"{len(rows)} processes", output=observed["output"])


def rows_bound(at_most: bool) -> Judge:
    def judge(expected: Any, observed: Observed) -> list[Verdict]:
        count = len(observed.get("rows") or ())
        passed = count <= expected if at_most else count >= expected
        return [Verdict(f"{'<=' if at_most else '>='} {expected} processes", f"{count} processes", passed)]

    return judge


EXPECT = {
    **OUTPUT,
    "count_max": Expectation("integer", rows_bound(at_most=True)),
    "count_min": Expectation("integer", rows_bound(at_most=False)),
}
ACTION = StepAction(
    name="processes",
    params={"container": "container"},
    required=frozenset({"container"}),
    expect=EXPECT,
    describe=on_container("processes"),
    handler=processes_step,
    shorthand="container",
)
