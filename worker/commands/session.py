"""Run an example's commands as a reader would: a fresh copy of its folder, the Docker CLI, in order.

The CLI talks to the engine through a relay (worker/commands/relay.py) that labels what the
commands create and locks the names they use, so two verifications of one example at once
never meet, and everything they made is found and removed afterwards, by label or by the
relay's ledger. Each command's exit code and output are judged against what the page says
it does; the first that differs ends the run, like a reader who would stop there.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

import docker
from docker.errors import APIError, NotFound

from worker.capped_log import OUTPUT_LIMIT, CappedLog
from worker.commands.locks import DEFAULT_ROOT, NameLocks
from worker.commands.relay import EngineRelay
from worker.commands.rules import IMAGE_VANISHED, Ledger, RequestRules
from worker.commands.tools import CommandTools
from worker.contract import labels as label_keys
from worker.contract.results import CommandResult
from worker.engine.cleanup import remove_labelled
from worker.images.builder import LAYER_VANISHED_SIGNS, try_remove_images
from worker.scenario.model import Command

# What the CLI prints when the engine, not the example, is at fault: an engine gone, a build's
# layers removed under it. (A full disk is
# told apart by the runner, which measures the engine's free space: worker/runner.py.)
INFRA_SIGNS = (
    "cannot connect to the docker daemon",
    "is the docker daemon running",
    # a build's own layer removed from outside while it ran, or the image it built before it was run
    *(sign.lower() for sign in LAYER_VANISHED_SIGNS),
    IMAGE_VANISHED,
)
SHOWN_LINES = 20  # of each command's output, in the run's live log
KEPT_OUTPUT = 8 * 1024  # per command, first and last: enough to show what a reader sees
_KILL_GRACE = 5.0


class CommandsUnavailable(RuntimeError):
    """The commands cannot run here (no CLI, no local engine socket): not the example's fault."""


@dataclasses.dataclass(frozen=True)
class CommandsOutcome:
    results: tuple[CommandResult, ...]
    reason: str = ""  # "" when every command did what its page says; COMMAND_FAILED; INFRA
    detail: str = ""
    clean_up: str = ""  # what could not be removed, "" when nothing was left


def run_commands(
    client: docker.DockerClient,
    commands: Sequence[Command],
    files: Mapping[str, tuple[bytes, bool]],
    run_labels: Mapping[str, str],
    *,
    folder_name: str,
    tools: CommandTools,
    deadline: float,
    host_access: Sequence[str] = (),
    emit: Callable[[str], None] = lambda line: None,
    lock_root: Path = DEFAULT_ROOT,
    cold: bool = False,
) -> CommandsOutcome:
    """Run `commands` in order in a copy of `files`; judge each; remove all they made before returning.

    `cold`: each new kind of build takes nothing from the engine's cache (RequestRules says which).
    """
    api = client.api
    upstream = engine_socket(api)
    labels = {**run_labels, label_keys.RUN: f"commands-{uuid.uuid4().hex[:12]}"}
    with tempfile.TemporaryDirectory(prefix="catalog-commands-") as scratch:
        scratch_dir = Path(scratch)
        folder = scratch_dir / folder_name
        write_folder(folder, files)
        env = command_environment(scratch_dir, tools, relay_socket := scratch_dir / "engine.sock")
        locks = NameLocks(str(api.info().get("ID", upstream)), lock_root)
        rules = RequestRules(
            api,
            run_labels=labels,
            locks=locks,
            deadline=deadline,
            own_socket=str(relay_socket),
            folder=folder,
            host_access=host_access,
            cold=cold,
        )
        try:
            with EngineRelay(upstream, relay_socket, rules) as relay:
                results = run_in_order(commands, folder, env, deadline, emit)
            outcome = judge_run(results, rules.ledger, relay.problems)
        finally:
            left = remove_made(client, labels, rules)  # before the names are free for another run
            locks.close()
    if left:
        emit(f"commands: clean-up left {left}")
    return dataclasses.replace(outcome, clean_up=left)


def run_in_order(
    commands: Sequence[Command],
    folder: Path,
    env: dict[str, str],
    deadline: float,
    emit: Callable[[str], None],
) -> tuple[CommandResult, ...]:
    results: list[CommandResult] = []
    stopped = False
    for index, command in enumerate(commands):
        if stopped:
            results.append(CommandResult(index, command.title, command.run, command.expected, "not run"))
            continue
        emit(f"command {index + 1}/{len(commands)}: {command.run}")
        result = run_one(index, command, folder, env, min(command.timeout, deadline - time.monotonic()))
        for line in result.output.splitlines()[-SHOWN_LINES:]:
            emit(f"  | {line}")
        said = f"exit {result.exit_code} in {result.duration:.1f} s {result.detail}".rstrip()
        emit(f"  -> {result.status}: {said}")
        results.append(result)
        stopped = result.status != "passed"
    return tuple(results)


def run_one(index: int, command: Command, folder: Path, env: dict[str, str], timeout: float) -> CommandResult:
    """One line in `bash`, its output read as it comes, its whole process group ended when it is done."""
    began = time.monotonic()
    shown = CappedLog(head=KEPT_OUTPUT, tail=KEPT_OUTPUT)
    whole = CappedLog(head=OUTPUT_LIMIT, tail=0)  # the expectations read up to 1 MiB
    process = subprocess.Popen(
        # bash, the shell a reader on Linux types into (`time` is its keyword; dash has none).
        ["/bin/bash", "-c", command.run],
        cwd=folder,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    reader = threading.Thread(target=_read_output, args=(process, (shown, whole)), daemon=True)
    reader.start()
    timed_out = flooded = False
    try:
        while process.poll() is None:
            if time.monotonic() - began > timeout:
                timed_out = True
                break
            if whole.total > OUTPUT_LIMIT:
                flooded = True
                break
            time.sleep(0.05)
    finally:
        _end_group(process)
        reader.join(timeout=_KILL_GRACE)
    took = time.monotonic() - began
    base = dict(index=index, title=command.title, run=command.run, expected=command.expected, duration=took)
    output = shown.text()
    if timed_out:
        return CommandResult(
            **base, status="failed", output=output, detail=f"still running after {timeout:.0f} s"
        )
    if flooded:
        return CommandResult(**base, status="failed", output=output, detail="printed more than 1 MiB")
    exit_code = process.returncode
    detail = mismatch(command, exit_code, whole.text())
    status = "failed" if detail else "passed"
    return CommandResult(**base, status=status, exit_code=exit_code, output=output, detail=detail)


def mismatch(command: Command, exit_code: int, output: str) -> str:
    """How the outcome differs from what the page promises; "" when it does not."""
    problems = []
    if exit_code != command.exit_code:
        problems.append(f"exited {exit_code}, the page says {command.exit_code}")
    problems += [f"did not print {text!r}" for text in command.output_contains if text not in output]
    return "; ".join(problems)


def judge_run(results: tuple[CommandResult, ...], ledger: Ledger, problems: list[str]) -> CommandsOutcome:
    failed = next((result for result in results if result.status != "passed"), None)
    if ledger.waits:
        names = ", ".join(ledger.waits)
        return CommandsOutcome(
            results, "INFRA", f"another verification kept {names} in use: tried again later"
        )
    if failed is None:
        return CommandsOutcome(results, detail=f"all {len(results)} commands did what the page says")
    if problems:
        return CommandsOutcome(results, "INFRA", f"the commands' engine relay failed: {problems[0]}")
    sign = next((sign for sign in INFRA_SIGNS if sign in failed.output.lower()), "")
    if sign:
        # The CLI hides the engine's status codes; these words in its output are the engine's trouble.
        return CommandsOutcome(results, "INFRA", f"command {failed.index + 1} met an engine fault ({sign})")
    detail = f"command {failed.index + 1} ({failed.run}): {failed.detail}"
    return CommandsOutcome(results, "COMMAND_FAILED", detail)


def remove_made(client: docker.DockerClient, labels: Mapping[str, str], rules: RequestRules) -> str:
    """What the commands made: by the run's label as a scenario's run is, then what the ledger knows."""
    run = {label_keys.RUN: labels[label_keys.RUN]}
    problems = remove_labelled(client, run)
    for tag in sorted(rules.ledger.tags):  # another image tagged by a command: only the tag goes
        with contextlib.suppress(NotFound):
            try:
                client.api.remove_image(tag)
            except APIError as error:
                # 409: the labelled image behind it, removed next. "No such image" with another
                # status: the engine lost it to a concurrent removal (seen in the fault suite).
                if error.status_code != 409 and "No such image" not in str(error.explanation):
                    problems.append(f"image {tag}: {error.explanation or error}")
    left = try_remove_images(client, run)
    for image_id in sorted(rules.ledger.image_ids):
        # Build output names every step's image, the base's among them: only untagged ones (earlier
        # stages) are the commands' leftovers. One another image still builds on stays (409).
        with contextlib.suppress(APIError):
            if not client.api.inspect_image(image_id).get("RepoTags"):
                client.api.remove_image(image_id)
    return "; ".join([*problems, left] if left else problems)


def write_folder(folder: Path, files: Mapping[str, tuple[bytes, bool]]) -> None:
    """The example as a reader unpacks it: every file, executables marked so."""
    for path, (content, executable) in files.items():
        target = folder / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(content)
        target.chmod(0o755 if executable else 0o644)
    folder.mkdir(parents=True, exist_ok=True)


def command_environment(scratch: Path, tools: CommandTools, relay_socket: Path) -> dict[str, str]:
    """A clean environment: none of the worker's own variables (its database URL, say) reach a command."""
    tool_bin, config, home = scratch / "bin", scratch / "docker-config", scratch / "home"
    for folder in (tool_bin, config / "cli-plugins", home):
        folder.mkdir(parents=True)
    (tool_bin / "docker").symlink_to(tools.docker)
    if tools.compose:
        (config / "cli-plugins" / "docker-compose").symlink_to(tools.compose)
    return {
        "PATH": f"{tool_bin}:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "HOME": str(home),
        "DOCKER_HOST": f"unix://{relay_socket}",
        "DOCKER_CONFIG": str(config),
        "DOCKER_BUILDKIT": "0",  # the builder the scenario used: the engine's classic one
        "COMPOSE_ANSI": "never",
        "COMPOSE_PROGRESS": "plain",
        "LANG": "C.UTF-8",
        "TERM": "dumb",
        "NO_COLOR": "1",
        "TZ": "UTC",
    }


def engine_socket(api: docker.APIClient) -> str:
    """The engine's unix socket, which the relay connects to; the CLI never sees it."""
    adapter = getattr(api, "_custom_adapter", None)
    path = getattr(adapter, "socket_path", None)
    if not path:
        raise CommandsUnavailable(f"the commands need a local engine socket; this worker uses {api.base_url}")
    return str(path)


def _read_output(process: subprocess.Popen, logs: Sequence[CappedLog]) -> None:
    assert process.stdout is not None
    while data := process.stdout.read1(64 * 1024):
        for log in logs:
            log.add(data)


def _end_group(process: subprocess.Popen) -> None:
    """The shell and anything it left running (a `docker logs -f` in the background, say)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=_KILL_GRACE)
            return
        except subprocess.TimeoutExpired:
            continue
