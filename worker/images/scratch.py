"""A labelled stand-in for `scratch`: an image of no layers and no history whose config carries labels.

`FROM scratch` gives a stage's images and build containers no labels at all, so what a stage
of that kind leaves behind (a cancelled build, a worker killed mid-run) is found by no clean-up
and no reaper. Built FROM this image instead, they inherit its labels and are otherwise the
same: no layer, no history row, the same files. Loaded like the run's base copies
(worker/bases/run_bases.py): a config and a manifest, no layer data.
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Mapping

import docker

from worker.engine.client import engine_errors
from worker.images.ids import full_id


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
    raw = json.dumps(config, separators=(",", ":"), sort_keys=True).encode()
    digest = hashlib.sha256(raw).hexdigest()
    manifest = json.dumps([{"Config": f"{digest}.json", "RepoTags": [tag], "Layers": []}]).encode()
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in ((f"{digest}.json", raw), ("manifest.json", manifest)):
            member = tarfile.TarInfo(name)
            member.size, member.mode = len(data), 0o644
            tar.addfile(member, io.BytesIO(data))
    with engine_errors():
        for event in client.api.load_image(archive.getvalue(), quiet=True):
            if isinstance(event, dict) and ("error" in event or "errorDetail" in event):
                raise ScratchLoadError(f"the engine refused a labelled scratch image: {event.get('error')}")
    return full_id(digest)
