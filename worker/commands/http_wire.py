"""Just enough HTTP/1.1 to relay the Docker CLI's requests one by one: heads, bodies, upgrades.

The Engine API is HTTP over a unix socket. The CLI sends one request at a time on a
connection, bodies with Content-Length or chunked (a build's context), and switches some
connections to a raw two-way stream (attach, exec): after that nothing is HTTP any more.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable
from typing import BinaryIO
from urllib.parse import parse_qs, urlencode, urlsplit

MAX_HEAD = 64 * 1024
MAX_JSON_BODY = 4 * 1024 * 1024


class WireError(Exception):
    """The client sent something this relay cannot follow."""


@dataclasses.dataclass
class Request:
    method: str
    target: str
    version: str
    headers: list[tuple[str, str]]

    def header(self, name: str) -> str:
        name = name.lower()
        return next((value for key, value in self.headers if key.lower() == name), "")

    @property
    def path(self) -> str:
        return urlsplit(self.target).path

    @property
    def query(self) -> dict[str, list[str]]:
        return parse_qs(urlsplit(self.target).query, keep_blank_values=True)

    def with_query(self, query: dict[str, list[str]]) -> None:
        self.target = f"{self.path}?{urlencode(query, doseq=True)}" if query else self.path

    @property
    def chunked(self) -> bool:
        return "chunked" in self.header("transfer-encoding").lower()

    @property
    def upgrades(self) -> bool:
        """attach and exec start ask for the raw stream with `Connection: Upgrade`."""
        return "upgrade" in self.header("connection").lower() or bool(self.header("upgrade"))

    def head_bytes(self) -> bytes:
        lines = [f"{self.method} {self.target} {self.version}"]
        lines += [f"{key}: {value}" for key, value in self.headers]
        return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")

    def set_body_length(self, length: int) -> None:
        self.headers = [
            (key, value)
            for key, value in self.headers
            if key.lower() not in ("content-length", "transfer-encoding")
        ]
        self.headers.append(("Content-Length", str(length)))


def read_request(reader: BinaryIO) -> Request | None:
    """The next request's head, or None when the client closed the connection between requests."""
    lines: list[bytes] = []
    size = 0
    while True:
        line = reader.readline(MAX_HEAD)
        if not line:
            if lines:
                raise WireError("the connection closed inside a request head")
            return None
        size += len(line)
        if size > MAX_HEAD:
            raise WireError("request head larger than 64 KiB")
        if line in (b"\r\n", b"\n"):
            if not lines:
                continue  # a stray empty line between requests is allowed
            break
        lines.append(line.rstrip(b"\r\n"))
    try:
        method, target, version = lines[0].decode("latin-1").split(" ", 2)
    except ValueError:
        raise WireError(f"malformed request line {lines[0][:80]!r}") from None
    headers = []
    for raw in lines[1:]:
        key, sep, value = raw.decode("latin-1").partition(":")
        if not sep:
            raise WireError(f"malformed header line {raw[:80]!r}")
        headers.append((key.strip(), value.strip()))
    return Request(method, target, version, headers)


def read_body(reader: BinaryIO, request: Request, limit: int = MAX_JSON_BODY) -> bytes:
    """The whole body, de-chunked, for requests the relay rewrites (small JSON documents)."""
    parts: list[bytes] = []
    copy_body(reader, request, parts.append, dechunk=True, limit=limit)
    return b"".join(parts)


def copy_body(
    reader: BinaryIO,
    request: Request,
    send: Callable[[bytes], None],
    *,
    dechunk: bool = False,
    limit: int | None = None,
) -> None:
    """Pass the request's body on as it comes (chunk framing kept unless `dechunk`)."""
    if request.chunked:
        _copy_chunked(reader, send, dechunk, limit)
        return
    length = int(request.header("content-length") or 0)
    if limit is not None and length > limit:
        raise WireError(f"request body of {length} bytes is larger than {limit}")
    _copy_exactly(reader, length, send)


def _copy_chunked(reader: BinaryIO, send: Callable[[bytes], None], dechunk: bool, limit: int | None) -> None:
    total = 0
    while True:
        size_line = reader.readline(1024)
        if not size_line:
            raise WireError("the connection closed inside a chunked body")
        try:
            size = int(size_line.split(b";")[0].strip(), 16)
        except ValueError:
            raise WireError(f"malformed chunk size {size_line[:40]!r}") from None
        total += size
        if limit is not None and total > limit:
            raise WireError(f"request body larger than {limit} bytes")
        if not dechunk:
            send(size_line)
        if size == 0:
            while True:  # trailers, then the empty line that ends the body
                trailer = reader.readline(MAX_HEAD)
                if not dechunk:
                    send(trailer)
                if trailer in (b"\r\n", b"\n", b""):
                    return
        _copy_exactly(reader, size, send)
        crlf = reader.readline(1024)
        if not dechunk:
            send(crlf)


def _copy_exactly(reader: BinaryIO, length: int, send: Callable[[bytes], None]) -> None:
    while length > 0:
        data = reader.read(min(length, 256 * 1024))
        if not data:
            raise WireError("the connection closed inside a request body")
        send(data)
        length -= len(data)


def error_response(status: int, message: str) -> bytes:
    """A refusal in the engine's own shape, which the CLI prints as `Error response from daemon: ...`."""
    body = json.dumps({"message": message}).encode()
    reasons = {403: "Forbidden", 409: "Conflict", 400: "Bad Request", 502: "Bad Gateway"}
    head = (
        f"HTTP/1.1 {status} {reasons.get(status, 'Error')}\r\n"
        "Content-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    )
    return head.encode() + body
