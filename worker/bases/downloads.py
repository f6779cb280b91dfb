"""What a base image costs to pull: each of its layers as a registry sends it, gzip-compressed.

A registry serves every layer as a gzip blob of the layer's tar, and a pull fetches only the
layers the engine lacks, so a set of bases costs the sum over the union of their layers
(worker/contract/report.download_size). The engine keeps no compressed sizes, for a pulled image
no more than for a stand-in, so each layer of `docker save` is compressed here the way
`docker push` compresses it (gzip at the default level) and its size kept. The figures are kept
per image ID under the cache folder: an ID fixes its layers, so they never change.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import tarfile
import zlib
from pathlib import Path

import docker
import requests

from worker.bases.run_bases import SAVE_CHUNK, SaveStreamReader
from worker.contract.report import LayerDownload
from worker.engine.client import EngineUnavailable, engine_errors
from worker.images.ids import full_id, hex_digest

log = logging.getLogger(__name__)
GZIP_DEFAULT_LEVEL = 6  # what Go's compress/gzip, and with it `docker push`, uses by default
_READ = 1024 * 1024


def layer_downloads(
    client: docker.DockerClient, image_id: str, cache_dir: Path | None
) -> tuple[LayerDownload, ...]:
    """Each layer of the image with its compressed size, in the image's order: from the folder or measured."""
    cached = cache_dir / f"{hex_digest(image_id)}.layers.json" if cache_dir else None
    known = _read_cached(cached)
    if known is not None:
        return known
    measured = _measure(client, image_id)
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        partial = cached.with_suffix(f".{os.getpid()}.part")
        partial.write_text(json.dumps([[layer.diff_id, layer.size, layer.unpacked] for layer in measured]))
        partial.replace(cached)  # whole or absent: two workers may measure the same base
    return measured


def measured_or_none(
    client: docker.DockerClient, image_id: str, cache_dir: Path | None
) -> tuple[LayerDownload, ...]:
    """layer_downloads for a result's facts: an engine fault leaves the size unknown, not the result lost."""
    try:
        return layer_downloads(client, image_id, cache_dir)
    except (
        EngineUnavailable,
        docker.errors.DockerException,
        requests.RequestException,
        tarfile.TarError,
    ) as error:
        log.warning("could not measure the download size of %s: %s", image_id, error)
        return ()


def _read_cached(path: Path | None) -> tuple[LayerDownload, ...] | None:
    if path is None or not path.is_file():
        return None
    try:
        rows = json.loads(path.read_text())
        return tuple(LayerDownload(str(digest), int(size), int(unpacked)) for digest, size, unpacked in rows)
    except (ValueError, TypeError):  # torn or foreign: measure again
        return None


def _measure(client: docker.DockerClient, image_id: str) -> tuple[LayerDownload, ...]:
    """Compress every layer tar of the image's `docker save` stream; a layer is named by its digest."""
    with engine_errors():
        diff_ids = [full_id(d) for d in client.api.inspect_image(image_id)["RootFS"].get("Layers") or []]
        wanted, sizes = set(diff_ids), {}
        stream = client.api.get_image(image_id, chunk_size=SAVE_CHUNK)
        with tarfile.open(fileobj=SaveStreamReader(stream), mode="r|") as archive:
            for member in archive:
                if member.isfile() and member.size > 0:
                    digest, size = _compressed(archive.extractfile(member))
                    if digest in wanted:  # a layer tar (by content: the archive's names vary by engine)
                        sizes[digest] = (size, member.size)
    missing = [d for d in diff_ids if d not in sizes]
    if missing:
        raise tarfile.TarError(f"the archive of {image_id} lacks layer {missing[0]}")
    return tuple(LayerDownload(d, *sizes[d]) for d in diff_ids)


def _compressed(source) -> tuple[str, int]:
    """The sha256 of the bytes and their gzip size, reading them once."""
    digest, packer, size = hashlib.sha256(), zlib.compressobj(GZIP_DEFAULT_LEVEL, zlib.DEFLATED, 31), 0
    while chunk := source.read(_READ):
        digest.update(chunk)
        size += len(packer.compress(chunk))
    return full_id(digest.hexdigest()), size + len(packer.flush())
