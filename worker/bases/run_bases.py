"""A private copy of each base image per run, so that a run's first build is cold whatever the engine built.

The classic builder takes a step from the cache when an image with the same parent and the
same instruction exists, and picks the newest: a reader who just built the same Dockerfile
(or builds it during the run) would hand the run their layers. A run therefore builds FROM a
copy of each base whose config differs only by the run's labels: the same layers and the same
history (so sizes, layer analysis and the base/user split are unchanged), but an image ID of
its own, whose children no one else has. Within the run, later builds still share its cache.

The copy is made with `docker load` of a tar holding just the edited config and a manifest:
the engine finds every layer already present and reads no layer data. The base's config is
read once from `docker save` and kept under its own digest (which is its image ID).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import tarfile
from collections.abc import Mapping
from pathlib import Path

import docker

from worker.engine.client import engine_errors
from worker.images.config_load import ConfigLoadRefused, load_config_image
from worker.images.ids import config_id, full_id, hex_digest

SAVE_CHUNK = 2 * 1024 * 1024
_configs: dict[str, bytes] = {}  # digest -> config, for this process (bases are few and small)


class BaseCopyError(RuntimeError):
    """The engine's archive of a base image held no config matching its ID."""


def base_config(client: docker.DockerClient, image_id: str, cache_dir: Path | None) -> bytes:
    """The raw config JSON of an image (its ID is its sha256): from the memo, the folder or `docker save`."""
    digest = hex_digest(image_id)
    cached = cache_dir / f"{digest}.json" if cache_dir else None
    data = _configs.get(digest) or _read_verified(cached, digest)
    data = data or _config_from_save(client, image_id, digest)
    _configs[digest] = data
    if cached is not None and not cached.is_file():
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.part")
        partial.write_bytes(data)
        partial.replace(cached)  # whole or absent: two workers may write the same file
    return data


def _read_verified(path: Path | None, digest: str) -> bytes | None:
    """The file's bytes if they are the config with this digest (a torn or foreign file is ignored)."""
    if path is None or not path.is_file():
        return None
    data = path.read_bytes()
    return data if hashlib.sha256(data).hexdigest() == digest else None


def _config_from_save(client: docker.DockerClient, image_id: str, digest: str) -> bytes:
    with engine_errors():
        stream = client.api.get_image(image_id, chunk_size=SAVE_CHUNK)
        reader = SaveStreamReader(stream)
        with tarfile.open(fileobj=reader, mode="r|") as archive:
            for member in archive:
                if member.isfile() and config_id(member.name) == full_id(digest):
                    data = archive.extractfile(member).read()
                    if hashlib.sha256(data).hexdigest() == digest:
                        return data
    raise BaseCopyError(f"the archive of {image_id} holds no config with that digest")


class SaveStreamReader(io.RawIOBase):
    """A file-like view of the engine's chunked save stream, for tarfile's streaming mode."""

    def __init__(self, chunks):
        self.chunks, self.buffer = iter(chunks), b""

    def readable(self) -> bool:
        return True

    def readinto(self, target) -> int:
        while not self.buffer:
            try:
                self.buffer = next(self.chunks)
            except StopIteration:
                return 0
        size = min(len(target), len(self.buffer))
        target[:size], self.buffer = self.buffer[:size], self.buffer[size:]
        return size


def copy_base(
    client: docker.DockerClient, ref: str, tag: str, labels: Mapping[str, str], cache_dir: Path | None
) -> str:
    """Load a copy of `ref` tagged `tag` whose config also carries `labels`; returns the copy's ID."""
    with engine_errors():
        source = client.api.inspect_image(ref)
    config = json.loads(base_config(client, source["Id"], cache_dir))
    container_config = config.setdefault("config", {})
    container_config["Labels"] = {**(container_config.get("Labels") or {}), **labels}
    try:
        return load_config_image(client, config, tag)
    except ConfigLoadRefused as refused:
        raise BaseCopyError(f"the engine refused the copy of {ref}: {refused}") from refused
