"""The probe step: an HTTP request from a helper container inside the target's network namespace.

Nothing is published on the host: the probe joins the target's namespace, where
the server listens on 127.0.0.1, even when the target has no network at all.
The request is a plain HTTP/1.0 GET written to busybox `nc`, and the answer is read
raw: status, headers and body of whatever came back, a 404 or a 503 as much as a
200 (busybox `wget` keeps the body of an error to itself), and no redirect followed.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

import requests
from docker.errors import APIError
from docker.types import LogConfig

from worker.capped_log import CappedLog
from worker.engine.client import engine_errors, is_read_timeout
from worker.steps.action import StepAction
from worker.steps.context import ContainerHandle, RunContext, StepFailure, StepOutcome, retry_until
from worker.steps.exits import engine_duration
from worker.steps.judges import DURATION_MAX, Expectation, contains, equals, matches, not_contains

if TYPE_CHECKING:
    from worker.scenario.model import Step

PROBE_SECONDS = 10.0
_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$")
_STATUS = re.compile(r"HTTP/\d(?:\.\d)?\s+(\d{3})\b")


def probe_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    target = ctx.containers[step.params["container"]]
    port, path = step.params["port"], step.params.get("path", "/")
    if not 0 < port < 65536 or not _PATH.match(path):
        raise StepFailure(
            "CHECK_FAILED", f"probe of port {port} path {path!r}: expected a port and a URL path"
        )
    timeout = step.params.get("timeout", PROBE_SECONDS)
    checks, observed = retry_until(
        ctx,
        index,
        step,
        lambda: probe_once(ctx, target, port, path, timeout),
        step.params.get("retry_for", 0.0),
        EXPECT,
    )
    if observed["error"]:
        checks = tuple(
            dataclasses.replace(c, detail=observed["error"]) if not c.passed else c for c in checks
        )
    summary = f"GET {path}: {observed['status'] or observed['error']}"
    return StepOutcome(checks, summary=summary, output=observed["body"])


def probe_command(port: int, path: str) -> list[str]:
    """The probe container's command: GET `path` from 127.0.0.1:`port`, the raw answer on stdout.

    `path` and `port` reach printf and nc as arguments, never as part of the script.
    """
    request = "GET %s HTTP/1.0\\r\\nHost: 127.0.0.1:%s\\r\\nConnection: close\\r\\n\\r\\n"
    script = f'printf "{request}" "$1" "$2" | nc 127.0.0.1 "$2"'
    return ["sh", "-c", script, "probe", path, str(port)]


def probe_once(ctx: RunContext, target: ContainerHandle, port: int, path: str, timeout: float) -> dict:
    """One request from a throwaway busybox container; status and body parsed from the raw answer."""
    api = ctx.client.api
    with engine_errors():
        state = api.inspect_container(target.id)["State"]
        if not state.get("Running"):
            return _failed(f"{target.name} is not running (exit {state.get('ExitCode')})")
        probe = api.create_container(
            ctx.helper_image(),
            command=probe_command(port, path),
            labels=ctx.labels,
            name=ctx.helper_name("probe"),
            user="65534:65534",
            host_config=api.create_host_config(
                network_mode=f"container:{target.id}",
                cap_drop=["ALL"],
                security_opt=["no-new-privileges:true"],
                read_only=True,
                pids_limit=16,
                mem_limit=64 * 1024 * 1024,
                log_config=LogConfig(type="json-file", config={"max-size": "4m", "max-file": "1"}),
            ),
        )["Id"]
        try:
            return _run_probe(ctx, probe, timeout)
        finally:
            api.remove_container(probe, force=True, v=True)


def _run_probe(ctx: RunContext, probe: str, timeout: float) -> dict:
    api = ctx.client.api
    try:
        api.start(probe)
    except APIError as error:  # the target stopped between the check and the start
        return _failed(f"the probe could not join the target: {error.explanation}")
    try:
        api.wait(probe, timeout=max(0.5, ctx.step_deadline(timeout) - time.monotonic()))
    except requests.RequestException as error:
        if not is_read_timeout(error):
            raise
        api.kill(probe)
        return _failed(f"no answer within {timeout:.1f} s")
    answer = api.logs(probe, stdout=True, stderr=False)
    state = api.inspect_container(probe)["State"]
    head, rest = split_answer(answer)
    status = _STATUS.match(head.decode("latin-1"))
    if not status:
        errors = api.logs(probe, stdout=False, stderr=True).decode("utf-8", "replace").strip()
        return _failed((errors.splitlines() or ["no HTTP answer"])[-1])
    body = CappedLog()
    body.add(rest)
    return {
        "status": int(status.group(1)),
        "body": body.text(),
        "duration": engine_duration(state),
        "error": "",
    }


def split_answer(answer: bytes) -> tuple[bytes, bytes]:
    """(status line and headers, body); a toy server may end its headers with bare newlines."""
    ends = [(answer.find(mark), mark) for mark in (b"\r\n\r\n", b"\n\n") if mark in answer]
    if not ends:
        return answer, b""
    at, mark = min(ends)
    return answer[:at], answer[at + len(mark) :]


def _failed(error: str) -> dict:
    return {"status": None, "body": "", "duration": None, "error": error}


def describe(params: Mapping) -> str:
    return f"probe {params['container']} port {params['port']}{params.get('path', '/')}"


EXPECT = {
    "status": Expectation("integer", equals("status")),
    "body_contains": Expectation("texts", contains("body")),
    "body_not_contains": Expectation("texts", not_contains("body")),
    "body_matches": Expectation("regex", matches("body")),
    "duration_max": DURATION_MAX,
}
ACTION = StepAction(
    name="probe",
    params={
        "container": "container",
        "port": "integer",
        "path": "text",
        "timeout": "duration",
        "retry_for": "duration",
    },
    required=frozenset({"container", "port"}),
    expect=EXPECT,
    describe=describe,
    handler=probe_step,
)
