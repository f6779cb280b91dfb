"""What a worker tells the site about its engine: whether it answers and which base images are missing."""

from __future__ import annotations

import os
from pathlib import Path

import requests
from docker.errors import DockerException

from worker.bases.specs import local_image, read_bases
from worker.contract.engine import EngineReport
from worker.engine.client import EngineUnavailable, connect, engine_info

CHECK_TIMEOUT = 10  # seconds: a busy engine may be slow, a missing one answers at once


def fix_command(target: str) -> str:
    """The one command that fixes it, as this user types it (installing needs root)."""
    return f"make {target}" if os.geteuid() == 0 else f"sudo make {target}"


def engine_report(bases_file: Path) -> EngineReport:
    """Whether the engine answers and has every base image; the worker stores it with its beat."""
    try:
        client = connect(timeout=CHECK_TIMEOUT)
    except EngineUnavailable as error:
        return EngineReport(
            ok=False, problem=f"the Docker engine does not answer ({error})", fix=fix_command("engine")
        )
    try:
        info = engine_info(client)
        missing = [spec.image for spec in read_bases(bases_file) if local_image(client, spec.image) is None]
    except (EngineUnavailable, DockerException, requests.RequestException, OSError, ValueError) as error:
        return EngineReport(
            ok=False, problem=f"the Docker engine failed a check ({error})", fix=fix_command("engine")
        )
    finally:
        client.close()
    if missing:
        images = (
            f"base image {missing[0]} is" if len(missing) == 1 else f"base images {', '.join(missing)} are"
        )
        problem = f"the {images} not on the Docker engine"
        return EngineReport(
            ok=False, problem=problem, fix=fix_command("engine"), missing_bases=tuple(missing), **info
        )
    return EngineReport(**info)
