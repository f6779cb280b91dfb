"""A forward-only byte stream that tarfile reads headers from and that hands file data out without copying.

tarfile's own stream mode ("r|") copies every byte several times through its 16-block
buffer and BufferedReader layers: on a 300 MB save that cost more than the hashing. Opened
in plain "r" mode on this object instead, tarfile still parses every header (PAX, GNU long
names) and only ever seeks forward, which is a skip; file contents are taken as memoryview
slices of the chunks the engine sent (pieces()), hashed in place, never joined.
"""

from __future__ import annotations

import gzip
import io
import tarfile
from collections.abc import Iterable, Iterator

import zstandard

READ_SIZE = 1024 * 1024
GZIP_MAGIC = b"\x1f\x8b"
ZSTD_MAGIC = b"\x28\xb5\x2f\xfd"


class ForwardStream:
    """Bytes from an iterable of chunks, read once, front to back; seek() may only skip ahead."""

    def __init__(self, chunks: Iterable[bytes | memoryview]):
        self._chunks: Iterator[bytes | memoryview] = iter(chunks)
        self._current = memoryview(b"")
        self._position = 0

    def _fill(self) -> bool:
        while not self._current:
            chunk = next(self._chunks, None)
            if chunk is None:
                return False
            self._current = memoryview(chunk)
        return True

    def pieces(self, size: int) -> Iterator[memoryview]:
        """The next `size` bytes (fewer at the end) as views into the chunks; valid until the next read."""
        while size > 0 and self._fill():
            piece = self._current[:size]
            self._current = self._current[len(piece) :]
            self._position += len(piece)
            size -= len(piece)
            yield piece

    def read(self, size: int | None = -1) -> bytes:
        if size is None or size < 0:
            return b"".join([bytes(piece) for piece in self.pieces(1 << 62)])
        if len(self._current) >= size:  # the common case, a tar header inside one chunk
            data = self._current[:size].tobytes()
            self._current = self._current[size:]
            self._position += size
            return data
        return b"".join([bytes(piece) for piece in self.pieces(size)])

    def peek(self, size: int) -> bytes:
        """Up to `size` next bytes, left unread."""
        while len(self._current) < size:
            chunk = next(self._chunks, None)
            if chunk is None:
                break
            self._current = memoryview(self._current.tobytes() + bytes(chunk))
        return self._current[:size].tobytes()

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        target = offset if whence == io.SEEK_SET else self._position + offset
        if whence not in (io.SEEK_SET, io.SEEK_CUR) or target < self._position:
            raise io.UnsupportedOperation("a forward stream only skips ahead")
        for _ in self.pieces(target - self._position):
            pass
        return self._position

    def drain(self) -> int:
        """Skip to the end; return the total length of the stream."""
        for _ in self.pieces(1 << 62):
            pass
        return self._position


def members(stream: ForwardStream) -> Iterator[tarfile.TarInfo]:
    """A tar's members, one header at a time, without keeping them (TarFile lists every member it saw).

    The stream is left at the member's data: read it with stream.pieces(member.size),
    or not at all, before asking for the next member.
    """
    tar = tarfile.TarFile(fileobj=stream, mode="r")  # type: ignore[arg-type]
    while (member := tar.next()) is not None:
        tar.members.clear()
        yield member


def compression(head: bytes) -> str:
    """ "gzip", "zstd" or "none", from a blob's first bytes."""
    if head.startswith(GZIP_MAGIC):
        return "gzip"
    if head.startswith(ZSTD_MAGIC):
        return "zstd"
    return "none"


def decompressed(kind: str, stream: ForwardStream) -> ForwardStream:
    """The blob's uncompressed bytes as a stream of their own."""
    if kind == "none":
        return stream
    if kind == "gzip":
        reader = gzip.GzipFile(fileobj=stream, mode="rb")  # type: ignore[arg-type]
    else:
        reader = zstandard.ZstdDecompressor().stream_reader(
            stream, read_size=READ_SIZE, read_across_frames=True
        )
    return ForwardStream(iter(lambda: reader.read(READ_SIZE), b""))
