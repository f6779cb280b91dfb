"""One example's scenario as a bash script of docker CLI calls doing the worker's engine work."""

from __future__ import annotations

import itertools
import math
import shlex
from pathlib import Path

from verify_engine import LABEL
from verify_examples import Example, example_files
from verify_shell import SHELL_FUNCTIONS, argv, conditions, q

from worker.engine.files import NEVER_STARTED
from worker.images.build_context import context_tar, parse_dockerfile, touched
from worker.images.builder import BUILD_CPU_SHARES, BUILD_MEMORY
from worker.policy import MIB, TMPFS_OPTIONS, run_policy
from worker.scenario import ImageSpec, Step
from worker.steps.context import HELPER_IMAGE, RETRY_INTERVAL
from worker.steps.exec_command import EXEC_SECONDS
from worker.steps.health import HEALTH_SECONDS
from worker.steps.probe import PROBE_SECONDS, probe_command
from worker.steps.processes import PS_ARGUMENTS
from worker.steps.run import RUN_SECONDS
from worker.steps.stop import STOP_SECONDS
from worker.steps.wait import WAIT_SECONDS

RUN_LABEL = "catalog.bench.run"  # one loop script's objects, as the worker's catalog.run label
POLICY = run_policy("curated")  # the catalog's own examples are curated


class LoopScript:
    """One example's scenario as a bash script doing the worker's engine work with the docker CLI.

    Images are built when a step first needs them, with the limits the worker's builds and
    containers get (worker/images/builder.py, worker/policy.py), so the engine does the same work.
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
        words += [HELPER_IMAGE, *probe_command(step.params["port"], step.params.get("path", "/"))]
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
