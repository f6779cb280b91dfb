"""Build one image with the classic builder from an in-memory context, reading its stream live.

docker-py's `api.build()` hides the HTTP response, so a stuck build could only be
given an inactivity timeout. We make the same request ourselves, keep the response,
and shut its socket down at the deadline: the engine cancels a build whose client
has gone (and removes its container, forcerm), which is exactly what we want.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
import socket
import threading
import time
from collections.abc import Callable, Mapping

import docker
import requests
import urllib3.exceptions
from docker.errors import APIError

from worker.capped_log import OUTPUT_LIMIT, CappedLog, clean_text
from worker.contract.results import BuildResult, BuildStepResult
from worker.engine.client import EngineUnavailable, engine_errors, label_filters
from worker.images.build_limits import BuildLimits, DiskWatch
from worker.images.ids import hex_digest

BUILD_MEMORY = 1024**3
BUILD_CPU_SHARES = 512
_STEP = re.compile(r"^Step (\d+)/(\d+) : (.*)$")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_STAGE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$")
_STEP_IMAGE = re.compile(r"^ ---> [0-9a-f]{12}$")
_STEP_CONTAINER = re.compile(r"^ ---> Running in ([0-9a-f]{12})$")
KILLED = 137  # 128 + SIGKILL: the out-of-memory killer, `docker kill`, `docker rm -f`, a prune
# What the engine says when an image a build stands on was removed under it (a prune, another
# tool): names by ID are the engine's own references, never the Dockerfile's. The page's commands
# (worker/commands/session.py) read the same words in the CLI's output.
LAYER_VANISHED_SIGNS = ("unknown parent image ID", "No such image: sha256:", "failed to get digest")
_VANISHED = re.compile("|".join(map(re.escape, (*LAYER_VANISHED_SIGNS, "No such container"))))
_EMITTED_LINES = 400  # a live log shows at most this many lines of one build's output
STEP_CONTAINER_GRACE = 10.0  # seconds the engine gets to remove a cancelled build's container


class BuildStream:
    """Turns the engine's stream chunks into lines, steps, cache hits and the error."""

    def __init__(self, on_line: Callable[[str], None], aliases: Mapping[str, str] | None = None):
        self.on_line = on_line
        # Names in the stream -> the names the reader wrote; longest first, so none eats another.
        self.aliases = sorted((aliases or {}).items(), key=lambda pair: -len(pair[0]))
        self.log = CappedLog()
        self.steps: list[BuildStepResult] = []
        self.image_id = ""
        self.error = ""
        self.exit_code: int | None = None
        self.failed_instruction = ""
        self.made: list[str] = []  # ids of the steps this build ran (not FROM, not from the cache)
        self.step_container = ""  # the container of the last RUN (and similar) step
        self._partial = ""
        self._emitted = 0

    def feed(self, event: Mapping) -> None:
        if "stream" in event:
            self._text(str(event["stream"]))
        elif "errorDetail" in event or "error" in event:
            detail = event.get("errorDetail") or {}
            # The engine quotes the failed instruction: a Dockerfile's own terminal control stays out.
            self.error = clean_text(str(detail.get("message") or event.get("error") or "the build failed"))
            code = detail.get("code")
            self.exit_code = code if isinstance(code, int) else None
            self.failed_instruction = self.steps[-1].instruction if self.steps else ""
            self._text(f"ERROR: {self.error}\n")
        elif isinstance(event.get("aux"), dict) and "ID" in event["aux"]:
            self.image_id = str(event["aux"]["ID"])  # one per stage; the last one is the image
        elif "status" in event:
            self._text(f"{event['status']}\n")

    def finish(self) -> None:
        if self._partial:
            self._line(self._partial)
            self._partial = ""

    def _text(self, text: str) -> None:
        for alias, name in self.aliases:
            text = text.replace(alias, name)
        self.log.add(text)
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        for line in lines:
            self._line(line)

    def _built_here(self) -> bool:
        """A FROM names a base image and a cache hit someone else's image: neither is ours to remove."""
        if not self.steps:
            return False
        step = self.steps[-1]
        return not step.cached and not step.instruction.upper().startswith("FROM ")

    def _line(self, line: str) -> None:
        step = _STEP.match(line)
        if step:
            self.steps.append(BuildStepResult(int(step.group(1)), step.group(3).strip(), False))
        elif line.startswith("Successfully built ") and not self.image_id:
            self.image_id = line.split()[-1]  # engines that send no aux ID
        elif container := _STEP_CONTAINER.match(line):
            self.step_container = container.group(1)
        elif _STEP_IMAGE.match(line) and self._built_here():
            self.made.append(line.split()[-1])
        elif line.strip() == "---> Using cache" and self.steps:
            last = self.steps[-1]
            self.steps[-1] = BuildStepResult(last.number, last.instruction, True)
        if self._emitted < _EMITTED_LINES:
            self._emitted += 1
            self.on_line(line if self._emitted < _EMITTED_LINES else "(more build output in the build log)")


def build_image(
    client: docker.DockerClient,
    *,
    image_name: str,
    context: bytes,
    dockerfile: str,
    tag: str,
    labels: Mapping[str, str],
    deadline: float,
    target: str | None = None,
    build_args: Mapping[str, str] | None = None,
    nocache: bool = False,
    aliases: Mapping[str, str] | None = None,
    on_line: Callable[[str], None] = lambda line: None,
    limits: BuildLimits | None = None,
    cgroup_parent: str | None = None,
) -> BuildResult:
    """Build and tag one image before `deadline` (time.monotonic()); never pulls.

    Raises EngineUnavailable when the engine cannot be reached; every other outcome,
    including a malformed Dockerfile (HTTP 400), is a BuildResult. `limits` default to
    BUILD_MEMORY and BUILD_CPU_SHARES; `cgroup_parent` is where the engine puts the RUN
    containers (worker/images/build_cgroup.py).
    """
    for name, value in (build_args or {}).items():
        if not _NAME.match(name) or "\x00" in value:
            raise ValueError(f"build argument {name!r} is not a plain name and value")
    if target is not None and not _STAGE.match(target):
        raise ValueError(f"target {target!r} is not a stage name")
    api = client.api
    params = {
        "t": tag,
        "dockerfile": dockerfile,
        "rm": True,
        "forcerm": True,
        "pull": False,
        "nocache": nocache,
        "networkmode": "none",
        "shmsize": 64 * 1024 * 1024,
    }
    limits = limits or BuildLimits(memory=BUILD_MEMORY, cpu_shares=BUILD_CPU_SHARES)
    params.update(limits.params())
    if cgroup_parent:
        params["cgroupparent"] = cgroup_parent
    if labels:
        params["labels"] = json.dumps(dict(labels))
    if target:
        params["target"] = target
    if build_args:
        params["buildargs"] = json.dumps(dict(build_args))
    started, started_at = time.monotonic(), time.time()
    stream = BuildStream(on_line, aliases)
    # No X-Registry-Config header (docker-py would send the worker's credentials) and no proxy args.
    headers = {"Content-Type": "application/tar"}
    stop = _Stop()
    with engine_errors():
        response = api._post(
            api._url("/build"),
            data=context,
            params=params,
            headers=headers,
            stream=True,
            # A backstop only: the watchdog below ends the build at its deadline.
            timeout=(10, max(1.0, deadline - time.monotonic()) + 30),
        )
    finished = False
    try:
        if response.status_code >= 400:
            return _refused(image_name, tag, response, started)
        watchdog = threading.Timer(
            max(0.0, deadline - time.monotonic()), stop.fire, args=(response, "deadline")
        )
        watchdog.daemon = True
        watchdog.start()
        watch = DiskWatch(client, stream, limits.disk, lambda: stop.fire(response, "disk"))
        try:
            with watch if limits.disk else contextlib.nullcontext():
                for event in api._stream_helper(response, decode=True):
                    stream.feed(event)
                    if stream.log.total > OUTPUT_LIMIT:
                        stop.fire(response, "output")
                        break
            finished = not stop.reason
        except (requests.RequestException, urllib3.exceptions.HTTPError, OSError) as error:
            if not stop.reason:
                raise EngineUnavailable(f"the build stream broke: {error}") from error
        finally:
            watchdog.cancel()
    finally:
        response.close()
        if not finished and stream.step_container:
            # Cancelled (by us, or by an exception of the caller's): the engine removes the step's
            # container once it notices the client left. Wait for that, so nothing outlives the call.
            _remove_step_container(client, stream.step_container)
    stream.finish()
    result = _result(image_name, tag, stream, stop.reason, time.monotonic() - started, limits.disk)
    if result.reason == "BUILD_FAILED" and result.exit_code == KILLED and stream.step_container:
        return _blame_the_kill(client, result, stream.step_container, started_at, limits.memory)
    return result


def _remove_step_container(client: docker.DockerClient, container: str) -> None:
    """Wait a moment for the engine to remove a cancelled build's container, then remove it ourselves.

    Such a container carries no label of the run (only what its image inherited), so neither the
    run's clean-up nor the reaper would find it soon. Never raises an engine error.
    """
    until = time.monotonic() + STEP_CONTAINER_GRACE
    try:
        while time.monotonic() < until:
            try:
                client.api.inspect_container(container)
            except docker.errors.NotFound:
                return
            time.sleep(0.1)
        client.api.remove_container(container, force=True)
    except (docker.errors.DockerException, requests.RequestException):
        pass  # gone meanwhile, or the engine is away: the reaper's, by the labels its image gave it


def _blame_the_kill(
    client: docker.DockerClient, result: BuildResult, container: str, since: float, memory: int
) -> BuildResult:
    """A step killed with SIGKILL: the example's fault only if it ran out of its own memory limit.

    Otherwise the kill came from outside the build (its container force-removed by a prune or
    another tool, or the host short of memory) and says nothing about the example: INFRA.
    """
    with engine_errors():
        events = client.api.events(
            since=int(since) - 1,
            until=int(time.time()) + 1,
            filters={"type": "container", "event": "oom"},
            decode=True,
        )
        oom = any(str(e.get("id") or e.get("Actor", {}).get("ID", "")).startswith(container) for e in events)
    if oom:
        error = f"{result.error} (out of memory: the build's limit is {memory // 2**20} MiB)"
        return dataclasses.replace(result, error=error)
    error = (
        f"a build step was killed from outside the build ({result.error}); no out-of-memory event "
        "at the build's own limit: a removal, a kill or the host's memory pressure"
    )
    return dataclasses.replace(result, reason="INFRA", error=error)


class _Stop:
    """Why the runner ended a build early, and the act of ending it."""

    def __init__(self) -> None:
        self.reason = ""

    def fire(self, response: requests.Response, reason: str) -> None:
        self.reason = self.reason or reason
        try:
            # shutdown, not close: it wakes the blocked reader and the engine sees the client go.
            response.raw._fp.fp.raw._sock.shutdown(socket.SHUT_RDWR)
        except (AttributeError, OSError):
            response.close()


def _refused(image_name: str, tag: str, response: requests.Response, started: float) -> BuildResult:
    """HTTP 4xx before any step ran: the engine could not parse the Dockerfile. 5xx is the engine's fault."""
    try:
        message = str(response.json().get("message", ""))
    except ValueError:
        message = response.text[:2000]
    if response.status_code >= 500:
        raise APIError(message, response=response, explanation=message)
    log = CappedLog()
    log.add(message)
    return BuildResult(
        image_name=image_name,
        image_id="",
        ok=False,
        steps=(),
        log=log.text(),
        error=message,
        exit_code=None,
        duration=time.monotonic() - started,
        reason="INVALID_DOCKERFILE",
        tag=tag,
    )


def _result(
    image_name: str, tag: str, stream: BuildStream, stopped: str, duration: float, disk: int | None = None
) -> BuildResult:
    if stopped == "deadline":
        reason, error = "BUILD_TIMEOUT", stream.error or "the build ran past its deadline and was cancelled"
    elif stopped == "output":
        reason, error = (
            "OUTPUT_LIMIT",
            f"the build printed more than {OUTPUT_LIMIT // 1024} KiB and was cancelled",
        )
    elif stopped == "disk":
        written = f"more than {(disk or 0) // 2**20} MiB"
        reason, error = "BUILD_FAILED", f"the build's steps wrote {written} to disk and it was stopped"
    elif stream.error and _VANISHED.search(stream.error):
        reason = "INFRA"
        error = f"an object the build stood on was removed from outside the run: {stream.error}"
    elif stream.error or not stream.image_id:
        reason, error = "BUILD_FAILED", stream.error or "the engine reported no image"
    else:
        reason, error = "", ""
    failed = stream.failed_instruction or (stream.steps[-1].instruction if reason and stream.steps else "")
    return BuildResult(
        image_name=image_name,
        image_id=stream.image_id if not reason else "",
        ok=not reason,
        steps=tuple(stream.steps),
        log=stream.log.text(),
        error=error,
        exit_code=stream.exit_code,
        duration=duration,
        reason=reason,
        failed_instruction=failed,
        tag=tag,
        intermediate_images=_intermediates(stream.made, "" if reason else stream.image_id),
    )


def _intermediates(made: list[str], final: str) -> tuple[str, ...]:
    """The ids the build named, except the image it produced (steps print short ids)."""
    final = hex_digest(final)
    return tuple(i for i in dict.fromkeys(made) if not (final and final.startswith(hex_digest(i))))


def try_remove_images(client: docker.DockerClient, labels: Mapping[str, str]) -> str:
    """remove_images for a run's clean-up: never raises; says what went wrong, "" when nothing did.

    A busy engine can time out and a concurrent removal can make it answer 500 ("unrecognized
    image ID"); what stays behind is the reaper's, found by the same labels.
    """
    try:
        remove_images(client, labels)
    except (EngineUnavailable, docker.errors.DockerException, requests.RequestException) as error:
        return f"images left to the reaper ({type(error).__name__}: {error})"
    return ""


def remove_images(client: docker.DockerClient, labels: Mapping[str, str]) -> int:
    """Remove every image carrying all these labels (runs keep their images; this is the caller's job)."""
    removed = 0
    with engine_errors():
        pending = client.images.list(filters=label_filters(labels))
        # A run's base copy is the parent of its images and refuses removal (409) while they exist:
        # a few passes remove children first whatever order the engine lists them in.
        for _ in range(4):
            refused: list = []
            for image in pending:
                try:
                    client.images.remove(image.id, force=True)
                    removed += 1
                except docker.errors.NotFound:
                    pass  # already gone with an image it belonged to
                except APIError as error:
                    if error.status_code != 409:
                        raise
                    refused.append((image, error))
            if not refused:
                return removed
            pending = [image for image, _ in refused]
        raise refused[-1][1]
