"""Refuse to start a verification on an engine that is nearly out of disk.

A build that fills the disk fails half-way, blames the example, and can take the engine
and its other users down with it. Checked before a claim, so a full disk costs no attempt.
"""

import os
import shutil

import docker

from worker.engine.client import EngineUnavailable, engine_errors


class EngineLowOnDisk(EngineUnavailable):
    """The engine answers but its data directory has less room than a build may need."""


def engine_free_bytes(client: docker.DockerClient) -> int | None:
    """Free bytes where the engine keeps images, or None when that folder is not on this machine."""
    with engine_errors():
        root = client.info().get("DockerRootDir") or ""
    if not root or not os.path.isdir(root):
        return None  # a remote engine: only its own host can tell, so do not guess
    return shutil.disk_usage(root).free


def ensure_free_space(client: docker.DockerClient, least_bytes: int) -> None:
    free = engine_free_bytes(client)
    if free is not None and free < least_bytes:
        raise EngineLowOnDisk(
            f"only {free // 2**20} MiB free for the engine's images, "
            f"{least_bytes // 2**20} MiB needed before a verification starts"
        )
