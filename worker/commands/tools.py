"""The Docker CLI and Compose plugin the commands run with: the engine package's own, found once."""

from __future__ import annotations

import dataclasses
import shutil
from collections.abc import Sequence
from pathlib import Path

# Debian's docker.io puts its CLI here; a newer CLI elsewhere on PATH would speak BuildKit to an
# engine whose builder the scenario used classically, so the engine package's own CLI is preferred.
ENGINE_PACKAGE_CLI = Path("/usr/bin/docker")
PLUGIN_DIRS = (Path("/usr/libexec/docker/cli-plugins"), Path("/usr/local/lib/docker/cli-plugins"))


class ToolsMissing(RuntimeError):
    """No Docker CLI on this machine: the commands cannot run, which is not the example's fault."""


@dataclasses.dataclass(frozen=True)
class CommandTools:
    docker: Path
    compose: Path | None  # the `docker compose` plugin, when one was found


def find_tools(plugin_dirs: Sequence[Path] = ()) -> CommandTools:
    """The CLI (the engine package's first) and a Compose plugin from `plugin_dirs`, then the usual places."""
    found = shutil.which("docker")
    docker = ENGINE_PACKAGE_CLI if ENGINE_PACKAGE_CLI.exists() else Path(found) if found else None
    if docker is None:
        raise ToolsMissing("no Docker CLI on this machine (apt-get install docker.io)")
    compose = next(
        (
            folder / "docker-compose"
            for folder in (*plugin_dirs, *PLUGIN_DIRS)
            if (folder / "docker-compose").exists()
        ),
        None,
    )
    return CommandTools(docker, compose)
