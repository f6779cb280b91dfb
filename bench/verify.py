"""Verification benchmark: the worker against a plain shell loop of docker build and docker run."""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import math
import os
import re
import resource
import secrets
import shlex
import shutil
import signal
import sqlite3
import stat
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import docker
import yaml

from worker.build_context import context_tar, parse_dockerfile, touched
from worker.builder import BUILD_CPU_SHARES, BUILD_MEMORY
from worker.engine import connect
from worker.policy import MIB, TMPFS_OPTIONS, run_policy
from worker.scenario import ImageSpec, Scenario, Step, parse_scenario
from worker.step_context import HELPER_IMAGE, NEVER_STARTED, RETRY_INTERVAL
from worker.step_inspect import EXEC_SECONDS, HEALTH_SECONDS, PS_ARGUMENTS
from worker.step_probe import PROBE_SECONDS
from worker.step_run import RUN_SECONDS, STOP_SECONDS, WAIT_SECONDS

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
LABEL = "catalog.bench"  # on everything either side creates; the final clean-up removes by it
RUN_LABEL = "catalog.bench.run"  # one loop script's objects, as the worker's catalog.run label
COLD_TARGET = 1.10
UNCHANGED_TARGET = 0.05
POLICY = run_policy("curated")  # the catalog's own examples are curated
_MARK = re.compile(r"^@@ (\d+\.\d+) (.*)$", re.M)
_BUILD = re.compile(r"^@@ \S+ build .*\n((?:(?!@@ ).*\n)*)", re.M)
_BUILD_STEP = re.compile(r"^Step \d+/\d+ : (.*)$")
_BUILD_IMAGE = re.compile(r"^ ---> ([0-9a-f]{12})$")
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
_RECEIVED = re.compile(
    r"^\[(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}): INFO/MainProcess\] Task catalog\.verify\[.*\] received$",
    re.M,
)

SHELL_FUNCTIONS = r"""set -u
# The worker's POST /build runs the classic builder; without this the CLI asks for BuildKit.
export DOCKER_BUILDKIT=0
mark() { echo "@@ $EPOCHREALTIME $*"; }
fail() { mark error "$*"; exit 1; }
# retry MICROSECONDS CHECK: as retry_until, CHECK again every RETRY_INTERVAL until it holds.
retry() {
  local until=$(( ${EPOCHREALTIME/./} + $1 )); shift
  while ! "$@"; do
    (( ${EPOCHREALTIME/./} + RETRY_US >= until )) && { mark retry-timeout "$@"; return 1; }
    sleep "$RETRY_SECONDS"
  done
}
# health_wait CONTAINER WANTED MICROSECONDS: as health_step, polled every 0.25 s.
health_wait() {
  local until=$(( ${EPOCHREALTIME/./} + $3 )) state
  while :; do
    state=$(docker inspect -f '{{.State.Running}} {{if .State.Health}}{{.State.Health.Status}}{{end}}' "$1")
    case "$state" in "true $2" | "true " | false*) return ;; esac
    { [ -z "$2" ] || (( ${EPOCHREALTIME/./} >= until )); } && return
    sleep 0.25
  done
}
# fill VOLUME DIRECTORY: as put_files, through a created, never started helper container.
fill() {
  local helper
  helper=$(docker create $LABELS --network none -v "$1":/volume "$HELPER" "$NEVER") || fail "fill $1"
  docker cp "$2"/. "$helper":/volume >/dev/null || fail "fill $1"
  docker rm -f -v "$helper" >/dev/null
}
# As RunContext.cleanup: this run's containers (with anonymous volumes), networks, volumes.
cleanup() {
  mark cleanup
  docker ps -aq --filter "label=$RUN" | xargs -r docker rm -f -v >/dev/null
  docker network ls -q --filter "label=$RUN" | xargs -r docker network rm >/dev/null
  docker volume ls -q --filter "label=$RUN" | xargs -r docker volume rm -f >/dev/null
  mark done
}
trap cleanup EXIT
"""


@dataclass(frozen=True)
class Options:
    rounds: int
    only: list[str]


@dataclass(frozen=True)
class Example:
    name: str  # pattern/example, as the worker's rows name it
    folder: Path
    scenario: Scenario


@dataclass(frozen=True)
class Timing:
    """One example on one side: wall time, each step's time, build steps run, first-build cache hits."""

    total: float
    steps: tuple[float, ...]
    build_steps: int
    first_build_cached: int


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


@dataclass(frozen=True)
class WorkerRun:
    cold: float
    cpu: float  # the worker's processes and the verify command, during the cold run
    unchanged: float  # nan when the cold run did not pass: re-verifying would redo work
    rows: list[Row]
    breakdown: dict[str, float]
    failures: list[str]


@dataclass(frozen=True)
class Round:
    loop: float
    loop_cpu: float  # bash and the docker CLI
    loop_examples: dict[str, Timing]
    worker: WorkerRun
    worker_examples: dict[str, Timing]


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3, help="rounds; medians are reported")
    parser.add_argument("--only", nargs="+", default=[], metavar="SLUG", help="only these patterns")
    return Options(**vars(parser.parse_args()))


def example_files(folder: Path) -> dict[str, tuple[bytes, bool]]:
    """The files as sync_patterns stores them (text, executable by its owner) and the worker reads them."""
    return {
        path.relative_to(folder).as_posix(): (
            path.read_text().encode(),
            bool(path.stat().st_mode & stat.S_IXUSR),
        )
        for path in folder.rglob("*")
        if path.is_file()
    }


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


def q(*words: object) -> str:
    return " ".join(shlex.quote(str(word)) for word in words)


def argv(value: str | list[str] | None) -> list[str]:
    """A command as the worker splits it (step_arguments.words)."""
    if value is None:
        return []
    return shlex.split(value) if isinstance(value, str) else list(value)


def conditions(expect: dict) -> str:
    """A step's expectations on $out and $rc: when a retry may stop. The loop judges nothing else."""
    tests = []
    for key, value in expect.items():
        texts = [value] if isinstance(value, str) else value
        if key in ("output_contains", "body_contains"):
            tests += [f'grep -qF -- {q(text)} <<<"$out"' for text in texts]
        elif key in ("output_not_contains", "body_not_contains"):
            tests += [f'! grep -qF -- {q(text)} <<<"$out"' for text in texts]
        elif key in ("output_matches", "body_matches"):
            tests.append(f'grep -qP -- {q(value)} <<<"$out"')  # per line, as the worker's re.MULTILINE
        elif key == "status":
            tests.append(f'grep -qE -- {q(f"HTTP/[0-9.]+ +{value}")} <<<"$out"')
        elif key == "exit_code":
            tests.append(f'[ "$rc" = {value} ]')
    return " && ".join(tests) or "true"


class LoopScript:
    """One example's scenario as a bash script doing the worker's engine work with the docker CLI.

    Images are built when a step first needs them, with the limits the worker's builds and
    containers get (worker/builder.py, worker/policy.py), so the engine does the same work.
    """

    def __init__(self, example: Example, folder: Path, run_id: str, number: int):
        self.example, self.folder = example, folder
        self.run = f"bench-{run_id}-{number}"
        self.repository = f"bench-{run_id}/{example.name}"
        self.labels = ["--label", f"{LABEL}={run_id}", "--label", f"{RUN_LABEL}={self.run}"]
        # The classic builder adds one LABEL step per build label: a plain loop labels its images once.
        self.image_label = ["--label", f"{LABEL}={run_id}"]
        self.files = example_files(example.folder)
        self.context: Path | None = None
        self.containers: dict[str, str] = {}
        self.volumes: dict[str, str] = {}
        self.networks: dict[str, str] = {}
        self.built: set[str] = set()
        self.inspected: set[str] = set()
        self.serial = itertools.count(1)
        self.functions: list[str] = []
        self.body: list[str] = []

    def text(self) -> str:
        for index, step in enumerate(self.example.scenario.steps):
            self.body.append(f"mark step {index}")
            getattr(self, f"step_{step.action}")(index, step)
        self.body.append("mark tail")
        # As run_steps and collect_facts: every image built and inspected. Comparisons only
        # read those facts, so they make no engine call of their own.
        for spec in self.example.scenario.images:
            self.image_facts(spec.name)
        settings = {
            "RUN": f"{RUN_LABEL}={self.run}",
            "LABELS": " ".join(self.labels),
            "HELPER": HELPER_IMAGE,
            "NEVER": NEVER_STARTED[0],
            "RETRY_US": int(RETRY_INTERVAL * 1e6),
            "RETRY_SECONDS": RETRY_INTERVAL,
        }
        variables = [f"{name}={shlex.quote(str(value))}" for name, value in settings.items()]
        return "\n".join([*variables, SHELL_FUNCTIONS, *self.functions, *self.body, ""])

    def name(self, suffix: str) -> str:
        return f"{self.run}-{suffix}"

    def spec(self, image: str) -> ImageSpec:
        return next(spec for spec in self.example.scenario.images if spec.name == image)

    def build(self, image: str) -> None:
        """docker build of the worker's own context tar: the engine gets the bytes the worker sends.

        A tar of the folder would differ (directory entries, modes, times) and so hit the build
        cache differently wherever other images on the engine hold one.
        """
        if self.context is None:
            self.context = self.folder / f"context-{next(self.serial)}.tar"
            self.context.write_bytes(context_tar(self.files))
        spec = self.spec(image)
        words = ["docker", "build", "--rm", "--force-rm", "--network", "none", f"--memory={BUILD_MEMORY}"]
        words += [
            f"--memory-swap={BUILD_MEMORY}",
            f"--cpu-shares={BUILD_CPU_SHARES}",
            f"--shm-size={64 * MIB}",
        ]
        words += [*self.image_label, "-t", f"{self.repository}:{image}", "-f", spec.dockerfile]
        words += ["--target", spec.target] if spec.target else []
        words += [f"--build-arg={key}={value}" for key, value in spec.build_args.items()]
        self.body += [f"mark build {image}", f"{q(*words, '-')} < {q(self.context)} || fail build {image}"]
        self.built.add(image)
        self.inspected.discard(image)

    def tag(self, image: str) -> str:
        if image not in self.built:
            self.build(image)
        return f"{self.repository}:{image}"

    def image_facts(self, image: str) -> None:
        """What collect_image_facts reads: the image and its base, inspected, with their histories."""
        if image in self.inspected:
            return
        tag, spec = self.tag(image), self.spec(image)
        base = parse_dockerfile(self.files[spec.dockerfile][0].decode()).base_of(spec.target, spec.build_args)
        for ref in [tag, *([base] if base and base != "scratch" else [])]:
            self.body.append(
                f"docker image inspect {q(ref)} >/dev/null && docker history --no-trunc {q(ref)} >/dev/null"
            )
        self.inspected.add(image)

    def volume(self, name: str) -> str:
        if name not in self.volumes:
            self.volumes[name] = self.name(f"vol-{name}")
            self.body.append(
                f"docker volume create {q(*self.labels, self.volumes[name])} >/dev/null || fail volume"
            )
            spec = next(spec for spec in self.example.scenario.volumes if spec.name == name)
            if spec.files:
                self.put_files(
                    self.volumes[name], {dest: self.files[src][0] for dest, src in spec.files.items()}
                )
        return self.volumes[name]

    def put_files(self, volume: str, files: dict[str, bytes]) -> None:
        folder = self.folder / self.name(f"files-{next(self.serial)}")
        for path, content in files.items():
            (folder / path.lstrip("/")).parent.mkdir(parents=True, exist_ok=True)
            (folder / path.lstrip("/")).write_bytes(content)
        self.body.append(f"fill {q(volume, folder)}")

    def network(self, name: str) -> str:
        if name not in self.networks:
            self.networks[name] = self.name(f"net-{name}")
            self.body.append(
                f"docker network create --internal {q(*self.labels, self.networks[name])} >/dev/null"
            )
        return self.networks[name]

    def namespace(self, value: str) -> str:
        return "container:" + self.containers[value.removeprefix("container:")]

    def run_words(self, params: dict, engine_name: str) -> list[str]:
        """docker run options as container_arguments() and hardened_arguments() make them (curated)."""
        if params.get("host_access"):
            raise RuntimeError(f"{self.example.name}: a default worker refuses host access; leave it out")
        memory = min(params.get("mem_limit") or POLICY.memory, POLICY.memory_max)
        words = ["--name", engine_name, *self.labels, "--cap-drop", "ALL"]
        words += [f"--cap-add={cap}" for cap in POLICY.cap_add]
        words += ["--security-opt", "no-new-privileges:true", f"--pids-limit={POLICY.pids_limit}"]
        words += [f"--memory={memory}", f"--memory-swap={memory}", f"--cpus={POLICY.nano_cpus / 1e9:g}"]
        words += ["--shm-size=64m", "--ulimit", "nofile=1024:1024", "--ulimit", "core=0:0"]
        words += ["--log-opt", "max-size=4m", "--log-opt", "max-file=1"]
        network = params.get("network", "none")
        if network == "none" or network.startswith("container:"):
            words += ["--network", self.namespace(network) if network != "none" else "none"]
        else:
            words += ["--network", self.network(network), "--network-alias", params.get("name", engine_name)]
        words += [f"--{key}={self.namespace(params[key])}" for key in ("pid", "ipc") if params.get(key)]
        name = params.get("name")
        if name and any(s.params.get("ipc") == f"container:{name}" for s in self.example.scenario.steps):
            words += ["--ipc=shareable"]
        words += [
            f"--volume={self.volume(volume)}:{path}" for volume, path in params.get("mounts", {}).items()
        ]
        words += [f"--volumes-from={self.containers[c]}:rw" for c in params.get("volumes_from", [])]
        # An image VOLUME nothing covers gets an anonymous volume here (the worker makes a labelled
        # named one): the same engine work, and `rm -v` in the clean-up removes it.
        words += ["--read-only"] if params.get("read_only") else []
        words += [f"--tmpfs={path}:{TMPFS_OPTIONS}" for path in params.get("tmpfs", [])]
        words += ["--init"] if params.get("init") else []
        words += [f"--user={params['user']}"] if params.get("user") else []
        words += [f"--env={key}={value}" for key, value in params.get("environment", {}).items()]
        entrypoint = argv(params.get("entrypoint"))
        # The CLI's --entrypoint takes one word; the rest goes first in the command: the same argv.
        words += [f"--entrypoint={entrypoint[0]}"] if entrypoint else []
        return [*words, self.tag(params["image"]), *entrypoint[1:], *argv(params.get("command"))]

    def check(self, index: int, step: Step, observe: str) -> None:
        """Observe once, or again and again like retry_for until the expectations hold."""
        self.functions.append(
            f"check_{index}() {{\n  out=$({observe} 2>&1); rc=$?\n  {conditions(step.expect)}\n}}"
        )
        retry_for = step.params.get("retry_for")
        call = f"retry {int(retry_for * 1e6)} check_{index}" if retry_for else f"check_{index}"
        self.body.append(f"{call} || true")

    def observe_exit(self, engine_name: str, step: Step) -> None:
        self.body.append(
            f"docker inspect -f '{{{{.State.ExitCode}}}}' {q(engine_name)} >/dev/null || fail inspect"
        )
        if any(key.startswith("output_") for key in step.expect):
            # The worker has the output from its attach stream; the CLI asks for the logs.
            self.body.append(f"docker logs {q(engine_name)} >/dev/null 2>&1")

    def step_build(self, index: int, step: Step) -> None:
        self.build(step.params["image"])

    def step_rebuild(self, index: int, step: Step) -> None:
        # The worker changes the file in memory; here the next build gets a new tar, made now.
        self.files, self.context = touched(self.files, step.params["touch"]), None
        self.build(step.params["image"])

    def step_run(self, index: int, step: Step) -> None:
        name = step.params.get("name")
        engine_name = self.name(name or f"run-{next(self.serial)}")
        words = self.run_words(step.params, engine_name)
        if name:
            self.containers[name] = engine_name
        if step.params.get("detach"):
            self.body.append(f"docker run -d {q(*words)} >/dev/null || fail run {name}")
        else:  # timeout stands in for the worker's kill at the step's deadline
            self.body.append(
                f"timeout {math.ceil(step.params.get('timeout', RUN_SECONDS))} docker run {q(*words)}"
            )
            self.observe_exit(engine_name, step)

    def step_exec(self, index: int, step: Step) -> None:
        user = ["-u", step.params["user"]] if step.params.get("user") else []
        command = [*user, self.containers[step.params["container"]], *argv(step.params["command"])]
        self.check(
            index,
            step,
            f"timeout {math.ceil(step.params.get('timeout', EXEC_SECONDS))} docker exec {q(*command)}",
        )

    def step_probe(self, index: int, step: Step) -> None:
        # probe_once's helper container and its limits (the worker also inspects the target first).
        target = self.containers[step.params["container"]]
        url = f"http://127.0.0.1:{step.params['port']}{step.params.get('path', '/')}"
        words = [
            "docker",
            "run",
            "--rm",
            *self.labels,
            "--network",
            f"container:{target}",
            "--user",
            "65534:65534",
        ]
        words += ["--cap-drop", "ALL", "--security-opt", "no-new-privileges:true", "--read-only"]
        words += [
            "--pids-limit",
            "16",
            "--memory",
            "64m",
            "--log-opt",
            "max-size=4m",
            "--log-opt",
            "max-file=1",
        ]
        words += [HELPER_IMAGE, "wget", "-q", "-S", "-O", "-", url]
        self.check(index, step, f"timeout {math.ceil(step.params.get('timeout', PROBE_SECONDS))} {q(*words)}")

    def step_write(self, index: int, step: Step) -> None:
        volume = self.volume(step.params["volume"])
        self.put_files(volume, {step.params["path"]: step.params["content"].encode()})

    def step_stop(self, index: int, step: Step) -> None:
        target = self.containers[step.params["container"]]
        grace = max(0, math.ceil(step.params.get("timeout", STOP_SECONDS)))
        self.body.append(f"docker stop -t {grace} {q(target)} >/dev/null || fail stop")
        self.observe_exit(target, step)

    def step_wait(self, index: int, step: Step) -> None:
        target = self.containers[step.params["container"]]
        self.body.append(
            f"timeout {math.ceil(step.params.get('timeout', WAIT_SECONDS))} docker wait {q(target)}"
        )
        self.observe_exit(target, step)

    def step_logs(self, index: int, step: Step) -> None:
        self.check(index, step, f"docker logs {q(self.containers[step.params['container']])}")

    def step_processes(self, index: int, step: Step) -> None:
        self.body.append(
            f"docker top {q(self.containers[step.params['container']])} {PS_ARGUMENTS} >/dev/null"
        )

    def step_health(self, index: int, step: Step) -> None:
        target, wanted = self.containers[step.params["container"]], step.expect.get("health", "")
        self.body.append(
            f"health_wait {q(target, wanted)} {int(step.params.get('timeout', HEALTH_SECONDS) * 1e6)}"
        )

    def step_image(self, index: int, step: Step) -> None:
        image = step.params["image"]
        self.image_facts(image)
        paths = [*step.expect.get("files_present", []), *step.expect.get("files_absent", [])]
        if paths:
            # The worker HEADs /containers/{id}/archive per path; `docker cp` streams the file as well.
            helper = self.name(f"files-{next(self.serial)}")
            create = q(
                "docker", "create", "--name", helper, *self.labels, "--network", "none", self.tag(image)
            )
            self.body.append(f"{create} {q(*NEVER_STARTED)} >/dev/null || fail files")
            self.body += [f"docker cp {q(f'{helper}:{path}')} - >/dev/null 2>&1" for path in paths]
            self.body.append(f"docker rm -f -v {q(helper)} >/dev/null")


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


def bench_env(var: Path, tree: Path, run_id: str) -> dict[str, str]:
    """The embedded defaults (SQLite, filesystem broker, file cache) in a throwaway folder."""
    inherited = {
        k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "REDIS_URL", "CACHE_URL")
    }
    return {
        **inherited,
        "CATALOG_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'catalog.sqlite3'}",
        "PATTERNS_DIR": str(tree),
        # As in production: DEBUG keeps every SQL query in memory.
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "INFO",
        "VERIFY_ON_START": "false",
        # The loop only builds and runs: the layer analysis is measured on its own (bench/layers.py).
        "VERIFY_ANALYSE_LAYERS": "false",
        "VERIFY_EXTRA_LABELS": f"{LABEL}={run_id}",
    }


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    command = [PYTHON, str(ROOT / "manage.py"), *args]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def checked(result: subprocess.CompletedProcess[str]) -> str:
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(result.args[1:])} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def offset_verification_ids(database: Path) -> None:
    """Start this catalog's verification ids far from other catalogs' on the same engine.

    The worker tags images catalog-verify/<verification>-<attempt>:<image>; a fresh database
    counting from 1 would take those tags from the images another catalog (`make run`) keeps.
    """
    with contextlib.closing(sqlite3.connect(database)) as db, db:
        db.execute("DELETE FROM sqlite_sequence WHERE name = 'catalog_verification'")
        start = 10**8 + secrets.randbelow(9 * 10**8)
        db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('catalog_verification', ?)", (start,))


def load_examples(tree: Path, only: list[str]) -> list[Example]:
    examples = []
    for path in sorted(tree.glob("*/examples/*/example.yaml")):
        folder, slug = path.parent, path.parent.parent.parent.name
        if only and slug not in only:
            continue
        files = {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file()}
        scenario, problems = parse_scenario(yaml.safe_load(path.read_text()), files - {"example.yaml"})
        if scenario is None:
            raise RuntimeError(f"{path}: {problems[0]}")
        examples.append(Example(f"{slug}/{folder.name}", folder, scenario))
    missing = set(only) - {example.name.split("/")[0] for example in examples}
    if missing or not examples:
        raise RuntimeError(f"no examples for {', '.join(sorted(missing)) or 'this catalog'}")
    return examples


def start_worker(env: dict[str, str], log: Path, run_id: str) -> subprocess.Popen:
    """One worker as tests/worker_process.py starts it (no beat: its reaper is not ours to run)."""
    command = [PYTHON, "-m", "celery", "-A", "worker.celery_app", "worker", "-Q", "verify,celery"]
    command += ["--concurrency", "1", "--loglevel", "info", "--without-gossip", "--without-mingle"]
    command += ["-n", f"bench-{run_id}@%h"]
    with log.open("ab") as out:
        # Its own process group: stopping it reaches the pool children too.
        options = {
            "cwd": ROOT,
            "env": env,
            "stdout": out,
            "stderr": subprocess.STDOUT,
            "start_new_session": True,
        }
        process = subprocess.Popen(command, **options)
    deadline = time.monotonic() + 60
    while " ready." not in log.read_text(errors="replace"):
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker did not start:\n{log.read_text(errors='replace')[-3000:]}")
        time.sleep(0.2)
    return process


def stop_worker(process: subprocess.Popen) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


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


def run_worker(
    env: dict[str, str], examples: list[Example], only: list[str], worker: int, log: Path
) -> WorkerRun:
    """verify --force --wait (cold), then verify --wait (unchanged), each timed from the command's start."""
    database = Path(env["CATALOG_VAR_DIR"]) / "catalog.sqlite3"
    selection = only or ["--all"]
    cpu = children_cpu() + tree_cpu(worker)
    since, started = time.time(), time.monotonic()
    cold = manage(env, "verify", *selection, "--force", "--wait", timeout=3600)
    cold_seconds, ended = time.monotonic() - started, time.time()
    cpu = children_cpu() + tree_cpu(worker) - cpu
    rows = verification_rows(database, since)
    seen = {row.example for row in rows}
    failures = [
        f"{row.example}: {row.state} {row.reason or '-'}: {row.detail}"
        for row in rows
        if row.state != "passed"
    ]
    failures += [f"{example.name}: never queued" for example in examples if example.name not in seen]
    if cold.returncode != 0 and not failures:
        failures.append(f"verify failed:\n{cold.stdout[-2000:]}{cold.stderr[-2000:]}")
    parts = breakdown(rows, received_times(log, since), since, ended)
    if failures:
        return WorkerRun(cold_seconds, cpu, math.nan, rows, parts, failures)
    started = time.monotonic()
    output = checked(manage(env, "verify", *selection, "--wait"))
    unchanged = time.monotonic() - started
    if not output.startswith("queued 0,"):
        failures.append(f"verify of the unchanged catalog queued work: {output.strip()}")
    return WorkerRun(cold_seconds, cpu, unchanged, rows, parts, failures)


def remove_images(client: docker.DockerClient, run_id: str, made: list[str]) -> None:
    """This bench's images: the labelled ones (both sides'), then the loop's unlabelled intermediates."""
    for image in client.images.list(filters={"label": f"{LABEL}={run_id}"}):
        with contextlib.suppress(docker.errors.NotFound):
            client.images.remove(image.id, force=True)
    for image in reversed(made):
        # Never forced: one that another image still uses stays, and goes with that image.
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            client.images.remove(image)
    made.clear()


def remove_everything(client: docker.DockerClient, run_id: str) -> None:
    selector = {"label": f"{LABEL}={run_id}"}
    for container in client.containers.list(all=True, filters=selector):
        container.remove(force=True, v=True)
    for network in client.networks.list(filters=selector):
        network.remove()
    for volume in client.volumes.list(filters=selector):
        volume.remove(force=True)
    remove_images(client, run_id, [])


def same_engine(client: docker.DockerClient) -> None:
    """The CLI follows its context, the worker DOCKER_HOST: both sides must reach one engine."""
    cli = subprocess.run(["docker", "info", "-f", "{{.ID}}"], capture_output=True, text=True, check=True)
    if cli.stdout.strip() != client.info()["ID"]:
        raise RuntimeError("the docker CLI and DOCKER_HOST reach different engines")


def run_round(
    number: int, examples: list[Example], env: dict[str, str], options: Options, scratch: Path,
    client: docker.DockerClient, run_id: str, worker_pid: int,
) -> Round:  # fmt: skip
    made: list[str] = []
    loop: tuple[float, float, dict[str, Timing]] = (math.nan, math.nan, {})
    worker: WorkerRun | None = None
    # Swapping the order every round spreads any drift of the machine over both sides.
    for side in ("loop", "worker") if number % 2 == 0 else ("worker", "loop"):
        # Both sides start without this bench's images, so the build cache is the same for both.
        remove_images(client, run_id, made)
        if side == "loop":
            loop = run_loop(examples, scratch, run_id, made)
        else:
            worker = run_worker(env, examples, options.only, worker_pid, scratch / "worker.log")
    remove_images(client, run_id, made)
    names = {example.name: example for example in examples}
    timings = {row.example: worker_timing(names[row.example], row) for row in worker.rows}
    print(
        f"round {number + 1}: loop {loop[0]:.1f} s, worker cold {worker.cold:.1f} s, "
        f"unchanged {worker.unchanged:.2f} s",
        flush=True,
    )
    for failure in worker.failures:
        print(f"  FAILED {failure}", flush=True)
    return Round(*loop, worker, timings)


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


def main() -> int:
    options = parse_options()
    run_id = secrets.token_hex(4)
    client = connect()
    scratch = Path(tempfile.mkdtemp(prefix="catalog-bench-verify-"))
    worker: subprocess.Popen | None = None
    rounds: list[Round] = []
    status = 0
    try:
        same_engine(client)
        # One snapshot of patterns/ for both sides, so an edit made meanwhile cannot split them.
        tree = shutil.copytree(ROOT / "patterns", scratch / "patterns")
        examples = load_examples(tree, options.only)
        env = bench_env(scratch / "var", tree, run_id)
        checked(manage(env, "migrate", "--noinput"))
        offset_verification_ids(scratch / "var" / "catalog.sqlite3")
        checked(manage(env, "sync_patterns"))
        worker = start_worker(env, scratch / "worker.log", run_id)
        print(f"bench {run_id}: {len(examples)} example(s), {options.rounds} round(s)", flush=True)
        for number in range(options.rounds):
            rounds.append(run_round(number, examples, env, options, scratch, client, run_id, worker.pid))
        status = 1 if any(r.worker.failures for r in rounds) else 0
    except Exception:
        traceback.print_exc()
        if worker is not None:
            print((scratch / "worker.log").read_text(errors="replace")[-3000:], file=sys.stderr)
        status = 1
    finally:
        if worker is not None:
            stop_worker(worker)
        try:
            remove_everything(client, run_id)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    if rounds:
        report(rounds, examples)
    return status


if __name__ == "__main__":
    sys.exit(main())
