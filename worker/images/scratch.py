"""A labelled stand-in for `scratch`: an image of no layers and no history whose config carries labels.

`FROM scratch` gives a stage's images and build containers no labels at all, so what a stage
of that kind leaves behind (a cancelled build, a worker killed mid-run) is found by no clean-up
and no reaper. Built FROM this image instead, they inherit its labels and are otherwise the
same: no layer, no history row, the same files. Loaded like the run's base copies
(worker/images/config_load.py): a config and a manifest, no layer data.
"""

from __future__ import annotations

from collections.abc import Mapping

import docker

from worker.engine.client import engine_errors
from worker.images.config_load import ConfigLoadRefused, load_config_image


class ScratchLoadError(RuntimeError):
    """The engine refused the labelled scratch image."""


def load_scratch(client: docker.DockerClient, tag: str, labels: Mapping[str, str]) -> str:
    """Load an empty image tagged `tag` carrying `labels`, for the engine's own platform; returns its ID."""
    with engine_errors():
        version = client.version()
    config = {
        "architecture": str(version.get("Arch") or "amd64"),
        "os": str(version.get("Os") or "linux"),
        "config": {"Labels": dict(labels)},
        "rootfs": {"type": "layers", "diff_ids": []},
        "history": [],
    }
    try:
        return load_config_image(client, config, tag)
    except ConfigLoadRefused as refused:
        raise ScratchLoadError(f"the engine refused a labelled scratch image: {refused}") from refused
