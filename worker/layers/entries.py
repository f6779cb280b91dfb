"""One layer tar read as a stream into metadata entries: normalised paths, whiteouts, digests, no contents."""

from __future__ import annotations

import hashlib
import posixpath
import tarfile
from typing import NamedTuple

from worker.layers.stream import ForwardStream, members

WHITEOUT = ".wh."
OPAQUE = ".wh..wh..opq"
# The kinds an entry can have once its name is read; whiteout and opaque entries delete, the rest add.
REGULAR, DIRECTORY, SYMLINK, HARDLINK, OTHER, WHITEOUT_KIND, OPAQUE_KIND = (
    "file",
    "dir",
    "symlink",
    "hardlink",
    "other",
    "whiteout",
    "opaque",
)


class Entry(NamedTuple):
    """One tar member: what it does to the filesystem, and the metadata that decides how it compares."""

    kind: str
    path: str  # absolute and normalised; for whiteout and opaque entries the path they delete under
    size: int = 0  # regular files only: a hard link, directory or symlink stores no bytes
    mode: int = 0
    uid: int = 0
    gid: int = 0
    link: str = ""  # a symlink's target as written, or a hard link's normalised target path
    xattrs: tuple[tuple[str, str], ...] = ()
    digest: bytes = b""


class LayerReading(NamedTuple):
    """What one layer blob held: its entries in tar order and the size of its (uncompressed) tar."""

    entries: tuple[Entry, ...]
    tar_bytes: int
    skipped: int  # members with a path that escapes the root, or a bare ".wh." name


def normalise_path(name: str) -> str | None:
    """An archive name as an absolute path, or None when it climbs out of the root with "..".

    "./" is removed as a prefix, in a loop: str.lstrip("./") removes characters, so it
    would turn "./.wh.data" into "wh.data" and lose the deletion of /data.
    """
    while name.startswith(("./", "/")):
        name = name[1:] if name.startswith("/") else name[2:]
    if name in ("", "."):
        return "/"
    if ".." in name.split("/"):
        return None
    return posixpath.normpath("/" + name)


def name_kind(path: str) -> tuple[str, str] | None:
    """Whether a normalised path adds itself, whites out a name, or makes its directory opaque.

    Returns (kind, target), kind "opaque", "whiteout" or "" (an ordinary entry), or None
    for names with no meaning: other ".wh..wh." names (aufs bookkeeping such as ".wh..wh.plnk")
    and a bare ".wh.", which would otherwise delete its parent.
    """
    parent, base = posixpath.split(path)
    if base == OPAQUE:
        return OPAQUE_KIND, parent
    if base.startswith(WHITEOUT + WHITEOUT) or base == WHITEOUT:
        return None
    if base.startswith(WHITEOUT):
        name = base[len(WHITEOUT) :]
        return None if name in (".", "..") else (WHITEOUT_KIND, posixpath.join(parent, name))
    return "", path


def read_layer(stream: ForwardStream) -> LayerReading:
    """Read an uncompressed layer tar from a forward-only stream, hashing each regular file as it passes.

    Each file is hashed while the stream is positioned on its data; nothing but metadata
    and a 16-byte digest (SHA-256, cut short: CPUs hash it in hardware, ~2x blake2b here) is kept.
    """
    entries: list[Entry] = []
    skipped = 0
    for member in members(stream):
        entry = _entry(stream, member)
        if entry is None:
            skipped += 1
        else:
            entries.append(entry)
    # tarfile stops at the end-of-archive blocks; the padding after them is still part of the tar.
    return LayerReading(tuple(entries), stream.drain(), skipped)


def _entry(stream: ForwardStream, member: tarfile.TarInfo) -> Entry | None:
    path = normalise_path(member.name)
    named = name_kind(path) if path is not None else None
    if named is None:
        return None
    kind, target = named
    if kind:
        return Entry(kind, target)
    xattrs = tuple(
        sorted((key, value) for key, value in member.pax_headers.items() if key.startswith("SCHILY.xattr."))
    )
    metadata = {"mode": member.mode & 0o7777, "uid": member.uid, "gid": member.gid, "xattrs": xattrs}
    if member.isreg():
        return Entry(REGULAR, path, member.size, digest=_digest(stream, member), **metadata)
    if member.isdir():
        return Entry(DIRECTORY, path, **metadata)
    if member.issym():
        return Entry(SYMLINK, path, link=member.linkname, **metadata)
    if member.islnk():
        # A hard link names an earlier member of the same tar, archive-relative like any name.
        return Entry(HARDLINK, path, link=normalise_path(member.linkname) or "", **metadata)
    return Entry(OTHER, path, **metadata)


def _digest(stream: ForwardStream, member: tarfile.TarInfo) -> bytes:
    digest = hashlib.sha256()
    if member.sparse is not None:
        return digest.digest()[:16]  # GNU sparse data is not stored as member.size bytes; no engine writes it
    for piece in stream.pieces(member.size):
        digest.update(piece)
    return digest.digest()[:16]
