"""Which blobs make the image, oldest first, and which history entry made each: from manifest and config."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from worker.images.facts import clean_instruction
from worker.layers.archive import ArchiveError, SavedArchive

ATTESTATION = "attestation-manifest"
_NESTING = 4  # an index inside an index is normal (containerd); deeper is a broken archive


@dataclass(frozen=True)
class HistoryStep:
    """One config history entry; `layer` is the index of the layer it made, None for metadata steps."""

    created_by: str
    instruction: str
    created: str
    comment: str
    layer: int | None


@dataclass(frozen=True)
class ImageLayout:
    layout: str  # "docker-save" (manifest.json) or "oci" (index.json only)
    config: dict[str, Any]
    config_name: str  # its archive member, which names the image id
    blobs: tuple[str, ...]  # archive member of each layer, oldest first; a blob may appear twice
    diff_ids: tuple[str, ...]
    history: tuple[HistoryStep, ...]
    platform: str  # "os/arch[/variant]" from the config


def find_layout(archive: SavedArchive, platform: str | None = None) -> ImageLayout:
    """Order the archive's layer blobs through manifest.json, or through index.json's manifests.

    `platform` ("linux/amd64") picks one image from a multi-platform OCI archive; without it
    the first image whose config and layers are all in the archive is taken. Attestation
    manifests (platform unknown/unknown) are never images.
    """
    manifest = archive.documents.get("manifest.json")
    if isinstance(manifest, list) and manifest:
        entry = manifest[0]
        layout = "docker-save" if "index.json" not in archive.documents else "oci"
        config_name = archive.resolve(str(entry.get("Config", "")))
        blobs = tuple(archive.resolve(str(name)) for name in entry.get("Layers") or ())
        return _layout(layout, config_name, blobs, archive)
    index = archive.documents.get("index.json")
    if not isinstance(index, dict):
        raise ArchiveError("the archive has neither manifest.json nor index.json")
    for descriptor, image_manifest in _image_manifests(archive, index, 0):
        if platform and _platform(descriptor.get("platform") or {}) not in ("", platform):
            continue
        config_name = _blob_name((image_manifest.get("config") or {}).get("digest", ""))
        config = archive.documents.get(config_name)
        blobs = tuple(_blob_name(layer.get("digest", "")) for layer in image_manifest.get("layers") or ())
        complete = isinstance(config, dict) and all(blob in archive.blobs for blob in blobs)
        if complete and (not platform or _platform(config) == platform):
            return _layout("oci", config_name, blobs, archive)
    wanted = f" for {platform}" if platform else ""
    raise ArchiveError(f"index.json names no image{wanted} whose config and layers are all in the archive")


def _image_manifests(archive: SavedArchive, index: dict, depth: int):
    """(descriptor, image manifest) pairs under an index, depth first, attestations left out."""
    if depth > _NESTING:
        raise ArchiveError("index.json nests indexes too deeply")
    for descriptor in index.get("manifests") or ():
        annotations = descriptor.get("annotations") or {}
        if annotations.get("vnd.docker.reference.type") == ATTESTATION:
            continue
        if _platform(descriptor.get("platform") or {}) == "unknown/unknown":
            continue
        document = archive.documents.get(_blob_name(descriptor.get("digest", "")))
        if not isinstance(document, dict):
            continue
        if "manifests" in document:
            yield from _image_manifests(archive, document, depth + 1)
        elif "layers" in document:
            yield descriptor, document


def _layout(layout: str, config_name: str, blobs: tuple[str, ...], archive: SavedArchive) -> ImageLayout:
    config = archive.documents.get(config_name)
    if not isinstance(config, dict):
        raise ArchiveError("the image's config is not in the archive")
    missing = [blob for blob in blobs if blob not in archive.blobs]
    if missing:
        raise ArchiveError(f"layer blobs named by the manifest are not in the archive: {missing[:3]}")
    diff_ids = tuple(str(d) for d in (config.get("rootfs") or {}).get("diff_ids") or ())
    if diff_ids and len(diff_ids) != len(blobs):
        raise ArchiveError(f"the config has {len(diff_ids)} layers, the manifest {len(blobs)}")
    history = pair_history(config, len(blobs))
    return ImageLayout(layout, config, config_name, blobs, diff_ids, history, _platform(config))


def pair_history(config: dict[str, Any], layer_count: int) -> tuple[HistoryStep, ...]:
    """History entries oldest first, each non-empty one paired with the next layer in order.

    `empty_layer` is only in the saved config (the engine's history() lacks it, and a size
    of 0 does not mean empty), which is why pairing happens here.
    """
    steps, layer = [], 0
    for row in config.get("history") or ():
        made = None
        if not row.get("empty_layer") and layer < layer_count:
            made, layer = layer, layer + 1
        created_by = str(row.get("created_by") or "")
        steps.append(
            HistoryStep(
                created_by=created_by,
                instruction=clean_instruction(created_by),
                created=str(row.get("created") or ""),
                comment=str(row.get("comment") or ""),
                layer=made,
            )
        )
    # Layers the history does not account for (an image rewritten by a tool) still get a step.
    steps.extend(HistoryStep("", "(missing)", "", "", index) for index in range(layer, layer_count))
    return tuple(steps)


def _platform(spec: dict[str, Any]) -> str:
    parts = [str(spec.get("os") or ""), str(spec.get("architecture") or ""), str(spec.get("variant") or "")]
    return "/".join(part for part in parts if part)


def _blob_name(digest: str) -> str:
    algorithm, _, encoded = str(digest).partition(":")
    return f"blobs/{algorithm}/{encoded}"
