"""The probe step: an HTTP request from a helper container inside the target's network namespace.

Nothing is published on the host: the probe joins the target's namespace, where
the server listens on 127.0.0.1, even when the target has no network at all.
"""

from __future__ import annotations

import dataclasses
import re
import time

import requests
from docker.errors import APIError
from docker.types import LogConfig

from worker.engine import engine_errors, is_read_timeout
from worker.results import CappedLog
from worker.scenario import Step
from worker.step_context import ContainerHandle, RunContext, StepFailure, StepOutcome, retry_until
from worker.step_run import engine_duration

PROBE_SECONDS = 10.0
_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@%/?-]*$")
_STATUS = re.compile(r"HTTP/\d(?:\.\d)?\s+(\d{3})")


def probe_step(ctx: RunContext, index: int, step: Step) -> StepOutcome:
    target = ctx.containers[step.params["container"]]
    port, path = step.params["port"], step.params.get("path", "/")
    if not 0 < port < 65536 or not _PATH.match(path):
        raise StepFailure(
            "CHECK_FAILED", f"probe of port {port} path {path!r}: expected a port and a URL path"
        )
    timeout = step.params.get("timeout", PROBE_SECONDS)
    url = f"http://127.0.0.1:{port}{path}"
    checks, observed = retry_until(
        ctx, index, step, lambda: probe_once(ctx, target, url, timeout), step.params.get("retry_for", 0.0)
    )
    if observed["error"]:
        checks = tuple(
            dataclasses.replace(c, detail=observed["error"]) if not c.passed else c for c in checks
        )
    summary = f"GET {path}: {observed['status'] or observed['error']}"
    return StepOutcome(checks, summary=summary, output=observed["body"])


def probe_once(ctx: RunContext, target: ContainerHandle, url: str, timeout: float) -> dict:
    """One `wget -S` in a throwaway busybox container; status from the headers, body from stdout."""
    api = ctx.client.api
    with engine_errors():
        state = api.inspect_container(target.id)["State"]
        if not state.get("Running"):
            return _failed(f"{target.name} is not running (exit {state.get('ExitCode')})")
        probe = api.create_container(
            ctx.helper_image(),
            command=["wget", "-q", "-S", "-O", "-", url],
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
    body, headers = CappedLog(), api.logs(probe, stdout=False, stderr=True).decode("utf-8", "replace")
    body.add(api.logs(probe, stdout=True, stderr=False))
    statuses = _STATUS.findall(headers)
    state = api.inspect_container(probe)["State"]
    return {
        "status": int(statuses[-1]) if statuses else None,  # the last one, after any redirects
        "body": body.text(),
        "duration": engine_duration(state),
        "error": "" if statuses else (headers.strip().splitlines() or ["no response"])[-1],
    }


def _failed(error: str) -> dict:
    return {"status": None, "body": "", "duration": None, "error": error}
