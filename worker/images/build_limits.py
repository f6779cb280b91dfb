"""Limits of one build: those the build API takes, and the disk its steps write, watched while it runs.

The build API limits memory, swap, CPU and rlimits of the RUN containers, but not their
processes (worker/images/build_cgroup.py holds those) nor the bytes they write: overlay2 on
ext4 has no quota. So the watcher measures what the build wrote so far, the layers of its
finished steps and the running step's container, and stops the build past the limit.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

import docker
import requests
from docker.errors import APIError

CPU_PERIOD = 100_000  # microseconds: a cpu_quota of CPU_PERIOD is one CPU
WATCH_INTERVAL = 0.25  # seconds between measurements; a fast writer overshoots by what it writes in one


@dataclass(frozen=True)
class BuildLimits:
    memory: int  # bytes, also the memory plus swap: no swap
    cpu_shares: int
    cpu_quota: int | None = None  # microseconds per CPU_PERIOD
    ulimits: tuple[tuple[str, int], ...] = ()  # (name, soft and hard limit) of every RUN process
    disk: int | None = None  # bytes the steps may write before the build is stopped
    pids: int | None = None  # processes of all RUN containers together (build_cgroup.py)

    def params(self) -> dict:
        """The /build query parameters for these limits."""
        params: dict = {"memory": self.memory, "memswap": self.memory, "cpushares": self.cpu_shares}
        if self.cpu_quota:
            params.update(cpuperiod=CPU_PERIOD, cpuquota=self.cpu_quota)
        if self.ulimits:
            rows = [{"Name": name, "Soft": value, "Hard": value} for name, value in self.ulimits]
            params["ulimits"] = json.dumps(rows)
        return params


class StepTrace(Protocol):
    """What the watcher reads of the build's stream (builder.BuildStream), as the reader fills it."""

    made: list[str]  # the images of the steps this build ran, in order
    step_container: str


class DiskWatch:
    """Calls `exceeded` once when the build's steps have written more than `limit` bytes."""

    def __init__(
        self, client: docker.DockerClient, trace: StepTrace, limit: int, exceeded: Callable[[], None]
    ):
        self.client, self.trace, self.limit, self.exceeded = client, trace, limit, exceeded
        self.written = 0
        self._sizes: dict[str, int] = {}
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True, name="build-disk-watch")

    def __enter__(self) -> DiskWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._done.set()
        self._thread.join(5)

    def _watch(self) -> None:
        while not self._done.wait(WATCH_INTERVAL):
            try:
                self.written = self.measure()
            except (APIError, requests.RequestException):
                continue  # an image or container removed between two calls; measured again soon
            if self.written > self.limit:
                self.exceeded()
                return

    def measure(self) -> int:
        """Bytes of the layers this build made so far, plus the running step's writable layer."""
        written = sum(self._layer(image) for image in list(self.trace.made))
        container = self.trace.step_container
        if container:
            try:
                answer = self.client.api._get(
                    self.client.api._url("/containers/{0}/json", container), params={"size": 1}
                )
                if answer.status_code == 200:
                    written += int(answer.json().get("SizeRw") or 0)
            except requests.RequestException:
                pass  # the step ended and its container went: its layer is counted once committed
        return written

    def _layer(self, image: str) -> int:
        """A step's image is its parent plus one layer: the difference of their sizes."""
        if image not in self._sizes:
            attrs = self.client.api.inspect_image(image)
            parent = attrs.get("Parent") or ""
            below = int(self.client.api.inspect_image(parent).get("Size") or 0) if parent else 0
            self._sizes[image] = max(0, int(attrs.get("Size") or 0) - below)
        return self._sizes[image]
