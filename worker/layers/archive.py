"""An image save archive read once as a stream: layer blobs analysed as they pass, small JSON kept.

Members arrive in whatever order the engine wrote them (the legacy layout puts
manifest.json last, an OCI layout may put blobs before index.json), so nothing here
depends on order: blob results are keyed by member name and layer_layout orders them.
Nothing is written to disk and no file contents are held: a layer is read as an inner
tar stream, decompressed on the fly when its magic bytes say it is gzip or zstd.
"""

from __future__ import annotations

import contextlib
import json
import posixpath
import tarfile
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import zstandard

from worker.layers.entries import LayerReading, normalise_path, read_layer
from worker.layers.stream import ForwardStream, compression, decompressed, members

TAR_MAGIC = b"ustar"
JSON_LIMIT = 16 * 1024 * 1024  # configs and manifests are kilobytes; anything larger is not one


class ArchiveError(ValueError):
    """The stream is not an image archive this reader understands."""


@dataclass(frozen=True)
class Blob:
    """One layer blob as stored in the archive and as read."""

    name: str
    compression: str  # "none", "gzip" or "zstd", from the blob's first bytes
    stored_bytes: int  # the member's size in the archive (compressed size when compressed)
    reading: LayerReading


@dataclass(frozen=True)
class SavedArchive:
    blobs: dict[str, Blob]  # member name -> layer read from it
    documents: dict[str, Any]  # member name -> parsed JSON (manifests, configs, index)
    aliases: dict[str, str]  # link member name -> the member it points at

    def resolve(self, name: str) -> str:
        """The member a name stands for, following link members (legacy saves link repeated layers)."""
        seen = set()
        name = _member_name(name) or name
        while name in self.aliases and name not in seen:
            seen.add(name)
            name = self.aliases[name]
        return name


def read_archive(chunks: Iterable[bytes]) -> SavedArchive:
    """Read a save stream (an iterable of byte chunks, as docker-py's get_image yields) once."""
    blobs: dict[str, Blob] = {}
    documents: dict[str, Any] = {}
    aliases: dict[str, str] = {}
    source = ForwardStream(chunks)
    try:
        for member in members(source):
            name = _member_name(member.name)
            if name is None:
                continue
            if member.issym():
                # Legacy saves store a repeated layer once and link the others to it, relatively.
                aliases[name] = posixpath.normpath(posixpath.join(posixpath.dirname(name), member.linkname))
            elif member.islnk():
                aliases[name] = _member_name(member.linkname) or ""
            elif member.isreg():
                head = source.peek(min(512, member.size))
                contents = ForwardStream(source.pieces(member.size))
                _read_member(contents, head, member.size, name, blobs, documents)
                # tarfile takes a short last member for the end of the archive; a cut stream is an error.
                if contents.drain() < member.size:
                    raise ArchiveError(f"the save stream ended inside {name}")
    except tarfile.ReadError as error:
        raise ArchiveError(f"the save stream is not a tar archive: {error}") from error
    return SavedArchive(blobs, documents, aliases)


def _read_member(
    contents: ForwardStream, head: bytes, size: int, name: str, blobs: dict, documents: dict
) -> None:
    kind = sniff(head)
    if kind in ("gzip", "zstd", "none"):
        known = _READINGS.get((name, size))
        if known is not None:
            blobs[name] = Blob(name, kind, size, known)  # the caller skips its bytes unread
            return
        try:
            reading = read_layer(decompressed(kind, contents))
        except (tarfile.ReadError, OSError, EOFError, zstandard.ZstdError):
            return  # compressed, but not a layer tar: nothing the analysis can use
        blobs[name] = Blob(name, kind, size, reading)
        _remember(name, size, reading)
    elif kind == "json" and size <= JSON_LIMIT:
        # A VERSION file or some other member may only look like JSON.
        with contextlib.suppress(ValueError):
            documents[name] = json.loads(contents.read())


# Base layers come back in every save of every image built on them. Both layouts name a layer
# blob by its content (legacy: a chain ID directory; OCI: the blob's digest), so a reading is
# reused by name and size: its bytes are skipped instead of parsed and hashed again.
_READINGS: OrderedDict[tuple[str, int], LayerReading] = OrderedDict()
REMEMBERED_LAYERS = 32
REMEMBER_FROM_BYTES = 4 * 1024 * 1024  # small layers are cheap to read again


def _remember(name: str, size: int, reading: LayerReading) -> None:
    if size < REMEMBER_FROM_BYTES or not _content_addressed(name):
        return
    _READINGS[(name, size)] = reading
    _READINGS.move_to_end((name, size))
    while len(_READINGS) > REMEMBERED_LAYERS:
        _READINGS.popitem(last=False)


def _content_addressed(name: str) -> bool:
    parts = name.split("/")
    legacy = len(parts) == 2 and parts[1] == "layer.tar" and len(parts[0]) == 64
    return legacy or (len(parts) == 3 and parts[0] == "blobs" and len(parts[2]) == 64)


def sniff(head: bytes) -> str:
    """What a member is from its first 512 bytes: "gzip", "zstd", "none" (a plain tar), "json" or ""."""
    kind = compression(head)
    if kind != "none":
        return kind
    # An empty layer is an empty tar: 1,024 zero bytes, with no header to carry the magic.
    if len(head) == 512 and (head[257:262] == TAR_MAGIC or not any(head)):
        return "none"
    if head.lstrip()[:1] in (b"{", b"["):
        return "json"
    return ""


def _member_name(name: str) -> str | None:
    path = normalise_path(name)
    return None if path is None else path.removeprefix("/")
