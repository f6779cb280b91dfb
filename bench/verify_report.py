"""The printed report: medians over the rounds, the ratios against their targets, the per-step table."""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterable
from dataclasses import dataclass

from verify_examples import Example, Timing
from verify_worker import WorkerRun

COLD_TARGET = 1.10
UNCHANGED_TARGET = 0.05


@dataclass(frozen=True)
class Round:
    loop: float
    loop_cpu: float  # bash and the docker CLI
    loop_examples: dict[str, Timing]
    worker: WorkerRun
    worker_examples: dict[str, Timing]


def median(values: Iterable[float]) -> float:
    """The median of what was measured; nan marks a measurement that was skipped."""
    kept = [value for value in values if not math.isnan(value)]
    return statistics.median(kept) if kept else math.nan


def report(rounds: list[Round], examples: list[Example]) -> None:
    loop, cold = median(r.loop for r in rounds), median(r.worker.cold for r in rounds)
    unchanged = median(r.worker.unchanged for r in rounds)
    print(f"\nmedians of {len(rounds)} round(s), {len(examples)} example(s)")
    print(f"{'loop cold (docker CLI)':44} {loop:8.2f} s")
    print(f"{'worker cold (verify --force --wait)':44} {cold:8.2f} s")
    print(f"{'worker unchanged (verify --wait)':44} {unchanged:8.2f} s")
    for label, ratio, target in (
        ("worker cold / loop cold", cold / loop, COLD_TARGET),
        ("worker unchanged / worker cold", unchanged / cold, UNCHANGED_TARGET),
    ):
        verdict = "n/a" if math.isnan(ratio) else ("PASS" if ratio <= target else "FAIL")
        print(f"{label:44} {ratio:8.3f}   target <= {target:.2f}  {verdict}")
    cpu = median(r.loop_cpu for r in rounds), median(r.worker.cpu for r in rounds)
    print(f"{'client CPU: bash and docker CLI | worker, verify':44} {cpu[0]:8.2f} | {cpu[1]:.2f} s")
    print("\nwhere the worker's cold time goes (medians)")
    for part in rounds[0].worker.breakdown:
        print(f"  {part:58} {median(r.worker.breakdown.get(part, math.nan) for r in rounds):7.2f} s")
    print("\nper example and step, medians in seconds: loop | worker's runner")
    outside = False
    for example in examples:
        loops = [r.loop_examples[example.name] for r in rounds if example.name in r.loop_examples]
        workers = [r.worker_examples[example.name] for r in rounds if example.name in r.worker_examples]
        if not loops or not workers:
            continue
        totals = f"{median(t.total for t in loops):7.2f} | {median(t.total for t in workers):7.2f}"
        steps = f"build steps {loops[0].build_steps} | {workers[0].build_steps}"
        if loops[0].first_build_cached or workers[0].first_build_cached:
            steps += f", cached {loops[0].first_build_cached} | {workers[0].first_build_cached}"
        print(f"  {example.name:42} {totals}  {steps}")
        for index, step in enumerate(example.scenario.steps):
            title = (
                f"{index + 1} {step.action} {step.params.get('image') or step.params.get('container', '')}"
            )
            looped = median(t.steps[index] if index < len(t.steps) else math.nan for t in loops)
            worked = median(t.steps[index] if index < len(t.steps) else math.nan for t in workers)
            print(f"    {title:40} {looped:7.2f} | {worked:7.2f}")
        rest = median(t.total - sum(t.steps) for t in loops), median(t.total - sum(t.steps) for t in workers)
        print(f"    {'rest: final builds, facts, clean-up':40} {rest[0]:7.2f} | {rest[1]:7.2f}")
        outside = outside or any(t.first_build_cached for t in [*loops, *workers])
    if outside:
        # An earlier example's images on the same side, or images this bench did not make, hold them.
        print("\nnote: some first builds took steps from the build cache; compare the 'cached' counts")
