"""Load an image the engine builds from a config alone: a `docker load` of its config and manifest, no layers.

The engine finds every layer the config names by its chain among those it already holds and reads
no layer data, so this costs milliseconds. Used for the run's labelled base copies
(worker/bases/run_bases.py) and the labelled stand-in for `scratch` (worker/images/scratch.py).
"""

from __future__ import annotations

import hashlib
import io
import json
import tarfile

import docker

from worker.engine.client import engine_errors
from worker.images.ids import full_id, hex_digest


class ConfigLoadRefused(RuntimeError):
    """The engine refused the archive; the message is its own."""


def load_config_image(client: docker.DockerClient, config: dict, tag: str) -> str:
    """Load `config` as an image tagged `tag`; returns the image's ID (the config's digest)."""
    raw = json.dumps(config, separators=(",", ":"), sort_keys=True).encode()
    digest = hashlib.sha256(raw).hexdigest()
    # Layer paths are only names here: the engine finds each layer by its chain and never opens them.
    layers = [f"{hex_digest(diff_id)}/layer.tar" for diff_id in config["rootfs"]["diff_ids"]]
    manifest = json.dumps([{"Config": f"{digest}.json", "RepoTags": [tag], "Layers": layers}]).encode()
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w", format=tarfile.USTAR_FORMAT) as tar:
        for name, data in ((f"{digest}.json", raw), ("manifest.json", manifest)):
            member = tarfile.TarInfo(name)
            member.size, member.mode = len(data), 0o644
            tar.addfile(member, io.BytesIO(data))
    with engine_errors():
        for event in client.api.load_image(archive.getvalue(), quiet=True):
            if isinstance(event, dict) and ("error" in event or "errorDetail" in event):
                raise ConfigLoadRefused(str(event.get("error") or event))
    return full_id(digest)
