"""The loop side: each example's script run in turn, timed from its marks and its build output."""

from __future__ import annotations

import itertools
import re
import subprocess
import tempfile
import time
from pathlib import Path

from verify_cpu import children_cpu
from verify_examples import Example, Timing
from verify_loop_script import LoopScript

_MARK = re.compile(r"^@@ (\d+\.\d+) (.*)$", re.M)
_BUILD = re.compile(r"^@@ \S+ build .*\n((?:(?!@@ ).*\n)*)", re.M)
_BUILD_STEP = re.compile(r"^Step \d+/\d+ : (.*)$")
_BUILD_IMAGE = re.compile(r"^ ---> ([0-9a-f]{12})$")


def read_build(chunk: str) -> tuple[list[str], int, int]:
    """A build's output: images it made (not FROM, not cached: as BuildStream.made), its steps, cache hits."""
    made, steps, cached, instruction, hit = [], 0, 0, "", False
    for line in chunk.splitlines():
        if match := _BUILD_STEP.match(line):
            instruction, hit, steps = match.group(1), False, steps + 1
        elif line.strip() == "---> Using cache":
            hit, cached = True, cached + 1
        elif (image := _BUILD_IMAGE.match(line)) and not hit and not instruction.upper().startswith("FROM "):
            made.append(image.group(1))
    return made, steps, cached


def loop_timing(output: str, total: float) -> Timing:
    marks = [(float(at), label) for at, label in _MARK.findall(output)]
    starts = [(at, label) for at, label in marks if label.startswith(("step ", "tail", "cleanup"))]
    steps = tuple(
        end - at for (at, label), (end, _) in itertools.pairwise(starts) if label.startswith("step ")
    )
    builds = [read_build(chunk) for chunk in _BUILD.findall(output)]
    return Timing(total, steps, sum(b[1] for b in builds), builds[0][2] if builds else 0)


def run_loop(
    examples: list[Example], scratch: Path, run_id: str, made: list[str]
) -> tuple[float, float, dict[str, Timing]]:
    """Every example's script, one after another: the sum of their times, the CPU they used, each timing."""
    timings, cpu = {}, children_cpu()
    for number, example in enumerate(examples, start=1):
        folder = Path(tempfile.mkdtemp(prefix="loop-", dir=scratch))
        script = folder / "run.sh"
        script.write_text(LoopScript(example, folder, run_id, number).text())
        started = time.monotonic()
        command = ["bash", str(script)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=example.scenario.timeout + 300)
        took = time.monotonic() - started
        made += [image for chunk in _BUILD.findall(done.stdout) for image in read_build(chunk)[0]]
        trouble = [
            label for _, label in _MARK.findall(done.stdout) if label.startswith(("error", "retry-timeout"))
        ]
        if done.returncode != 0 or trouble:
            # A retry that ran out would make the loop wait for nothing: the comparison would be unfair.
            output = (done.stdout + done.stderr)[-3000:]
            raise RuntimeError(f"the loop script of {example.name} went wrong: {trouble}\n{output}")
        timings[example.name] = loop_timing(done.stdout, took)
    return sum(timing.total for timing in timings.values()), children_cpu() - cpu, timings
