"""A contributor's uploaded archive of example files, read in memory into path -> (content, executable).

Nothing is written to disk and nothing is extracted: members are read one by one, judged, and
kept as bytes. An archive is refused, with a message naming the member (escaped, shortened), when:

- it is larger than the upload limit, or neither a tar (plain or gzip-compressed) nor a zip, judged
  by its content (the name may lie either way); bzip2, xz, zstd, 7-Zip and RAR are named as such;
- a gzip is truncated or corrupt, or a tar or zip is damaged;
- a name could write outside the example's folder once someone unpacks it: absolute paths, `..`
  as a part of the path (zip slip), backslashes and drive letters, which Windows tools read as
  separators and roots;
- a name is hard to read or misleading: control and invisible characters (NUL, escapes, the
  right-to-left override), bytes that are not UTF-8, parts that start or end with a space,
  more than `path_depth` parts or `path_length` characters, anything inside `.git/` (a
  repository's hooks and config are not example files);
- a member is not a regular file or a folder: symbolic and hard links (in a zip, a unix mode that
  says link), devices, FIFOs, sparse files; or a zip member is encrypted or compressed other than
  by deflate (bzip2 and lzma members would unpack in chunks no cap can bound);
- two members name the same file, also after `./` and `//` are dropped, with Unicode composed
  and case ignored (on macOS and Windows one would overwrite the other), or one is both a file
  and a folder;
- there are more than `files` files or `entries` members of any kind, one file holds more than
  `file_bytes`, or all together more than `total_bytes`;
- a file is not UTF-8 text or holds NUL bytes: examples are text files.

Declared sizes are used only to refuse early: every read is capped, and a gzip stream as a whole
may unpack to at most `UploadLimits.unpacked_bytes` (its files plus headers), so a compression
bomb stops there, whatever its headers say, after a few megabytes of work.

Unwrapping: while every file lies inside one and the same folder, that folder is removed, so
`my-pattern/README.md` comes out as `README.md` and `examples/<slug>/Dockerfile` as `Dockerfile`.
An example or a pattern always has files at its top (example.yaml, README.md), so this never
removes a folder they need. The depth and length limits apply to names as the archive gives them.
"""

from __future__ import annotations

import dataclasses
import gzip
import io
import re
import stat
import tarfile
import unicodedata
import zipfile
import zlib
from collections.abc import Callable, Iterator

from worker.policy import CONTEXT_FILE_MAX, CONTEXT_TOTAL_MAX

KIB, MIB = 1024, 1024 * 1024
ENTRY_OVERHEAD = 4 * KIB  # a tar header, its padding and a pax header (long name, timestamps, xattrs)
_UTF8_NAMES = 0x800  # zip flag bit 11: the name is UTF-8; without it zipfile decodes it as cp437
_DRIVE = re.compile(r"^[A-Za-z]:")
_OTHER_FORMATS = {
    b"BZh": "a bzip2 file",
    b"\xfd7zXZ\x00": "an xz file",
    b"\x28\xb5\x2f\xfd": "a zstd file",
    b"7z\xbc\xaf\x27\x1c": "a 7-Zip archive",
    b"Rar!\x1a\x07": "a RAR archive",
}
ACCEPTED = "upload a .tar.gz, .tgz, .tar or .zip archive"
_ONLY_FILES = "an example holds only files and folders"


class ArchiveRefused(ValueError):
    """What is wrong with an upload, in words for the contributor; `member` is the name shown in them."""

    def __init__(self, message: str, member: str | None = None):
        super().__init__(message)
        self.message = message
        self.member = member


@dataclasses.dataclass(frozen=True)
class UploadLimits:
    archive_bytes: int = 2 * MIB
    files: int = 100  # an upload may hold a pattern with its examples; the policy holds each to 50
    file_bytes: int = CONTEXT_FILE_MAX
    total_bytes: int = CONTEXT_TOTAL_MAX
    entries: int = 300  # members of any kind, folders included: each costs a read before it is judged
    path_depth: int = 8
    path_length: int = 200

    @property
    def unpacked_bytes(self) -> int:
        """The most a gzip-compressed tar may unpack to: the files, and headers and padding for each entry."""
        return self.total_bytes + self.entries * ENTRY_OVERHEAD + tarfile.RECORDSIZE


DEFAULT_LIMITS = UploadLimits()


@dataclasses.dataclass(frozen=True)
class _Member:
    name: str  # as the archive gives it, decoded with surrogateescape: may hold anything
    kind: str  # "file", "folder", or why it is refused ("a symbolic link to '/etc'")
    size: int  # as declared: trusted only to refuse early
    executable: bool
    read: Callable[[int], bytes]  # at most n bytes of the content


def read_archive(
    name: str, data: bytes, limits: UploadLimits = DEFAULT_LIMITS
) -> dict[str, tuple[bytes, bool]]:
    """The example files of an uploaded .tar.gz, .tgz, .tar or .zip; ArchiveRefused says what is wrong."""
    upload = shown(name)
    if not data:
        raise ArchiveRefused(f"{upload} is empty")
    if len(data) > limits.archive_bytes:
        raise ArchiveRefused(
            f"{upload} is {size(len(data))}; at most {size(limits.archive_bytes)} may be uploaded"
        )
    kind = _format(data)
    if kind == "zip":
        members = _zip_members(data)
    elif kind in ("tar", "gzip"):
        members = _tar_members(data, limits, upload, compressed=kind == "gzip")
    else:
        raise ArchiveRefused(f"{upload} is {kind}; {ACCEPTED}")
    try:
        files = _collected(members, limits)
    except ArchiveRefused:
        raise
    except (
        tarfile.TarError,
        zipfile.BadZipFile,
        zlib.error,
        EOFError,
        OSError,
        ValueError,
        RecursionError,
    ) as error:
        # RecursionError: tarfile reads a chain of pax or GNU long-name headers recursively.
        detail = str(error)[:200] or type(error).__name__
        raise ArchiveRefused(f"{upload} is damaged or truncated ({kind}: {detail})") from None
    if not files:
        raise ArchiveRefused(f"{upload} holds no files")
    return _unwrapped(files)


def _collected(members: Iterator[_Member], limits: UploadLimits) -> dict[str, tuple[bytes, bool]]:
    files: dict[str, tuple[bytes, bool]] = {}
    seen: dict[str, str] = {}  # identity (composed, case-folded) -> the name first seen
    folders: dict[str, str] = {}
    total = 0
    for count, member in enumerate(members, start=1):
        if count > limits.entries:
            raise ArchiveRefused(f"the archive has more than {limits.entries} entries (files and folders)")
        path, where = _checked_path(member.name, limits), shown(member.name)
        if member.kind == "folder":
            folders.setdefault(_identity(path), where)
            continue
        if member.kind != "file":
            raise ArchiveRefused(f"{where} is {member.kind}", where)
        if not path:
            raise ArchiveRefused(f"{where} is a file without a name", where)
        if len(files) == limits.files:
            raise ArchiveRefused(f"the archive holds more than {limits.files} files")
        too_large = f"{where} is larger than {size(limits.file_bytes)}, the most one file may hold"
        if member.size > limits.file_bytes:
            raise ArchiveRefused(
                f"{where} is {size(member.size)}; one file may hold at most {size(limits.file_bytes)}", where
            )
        content = member.read(limits.file_bytes + 1)
        if len(content) > limits.file_bytes:
            raise ArchiveRefused(too_large, where)
        total += len(content)
        if total > limits.total_bytes:
            raise ArchiveRefused(
                f"the files hold more than {size(limits.total_bytes)} together (at {where})", where
            )
        _check_text(content, where)
        identity = _identity(path)
        if identity in seen:
            raise ArchiveRefused(f"{seen[identity]} and {where} name the same file", where)
        seen[identity] = where
        files[path] = (content, member.executable)
        parts = identity.split("/")
        for end in range(1, len(parts)):
            folders.setdefault("/".join(parts[:end]), where)
    for identity, where in seen.items():
        if identity in folders:
            raise ArchiveRefused(f"{where} is both a file and a folder (as in {folders[identity]})", where)
    return files


def _checked_path(name: str, limits: UploadLimits) -> str:
    """The member's path with `.` and empty parts dropped, or ArchiveRefused if the name is unsafe."""
    where = shown(name)

    def refuse(problem: str) -> ArchiveRefused:
        return ArchiveRefused(f"{where}: {problem}", where)

    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # the surrogates surrogateescape made of undecodable bytes
        raw = name.encode("utf-8", "surrogateescape")
        raise ArchiveRefused(f"{raw!r}: the name is not UTF-8", repr(raw)) from None
    if len(name) > limits.path_length:
        raise refuse(f"the name is {len(name)} characters long; at most {limits.path_length} are allowed")
    odd = next(
        (c for c in name if unicodedata.category(c)[0] == "C" or unicodedata.category(c) in ("Zl", "Zp")), ""
    )
    if odd:
        label = unicodedata.name(odd, "a control character")
        raise refuse(f"the name holds U+{ord(odd):04X} ({label}); names are plain visible text")
    if "\\" in name:
        raise refuse("backslashes are not allowed in names; folders are separated by '/'")
    if name.startswith("/"):
        raise refuse("absolute paths are not allowed")
    if _DRIVE.match(name):
        raise refuse("drive letters are not allowed in names")
    parts = [part for part in name.split("/") if part not in ("", ".")]
    if ".." in parts:
        raise refuse("'..' is not allowed in a path: it would lead out of the example's folder")
    if any(part != part.strip() for part in parts):
        raise refuse("a part of the name starts or ends with a space")
    if len(parts) > limits.path_depth:
        raise refuse(f"the path is {len(parts)} levels deep; at most {limits.path_depth} are allowed")
    if any(part.casefold() == ".git" for part in parts):
        raise refuse("a .git folder is not allowed: upload the example's files, not a repository")
    return "/".join(parts)


def _check_text(content: bytes, where: str) -> None:
    if b"\x00" in content:
        at = content.index(b"\x00")
        raise ArchiveRefused(f"{where} holds a NUL byte (at byte {at}); example files are text", where)
    try:
        content.decode("utf-8")
    except UnicodeDecodeError as error:
        byte = content[error.start]
        message = f"{where} is not UTF-8 text (byte {error.start} is 0x{byte:02x}); example files are text"
        raise ArchiveRefused(message, where) from None


def _identity(path: str) -> str:
    """What a path names on a case-insensitive file system that composes Unicode (macOS, Windows)."""
    return unicodedata.normalize("NFC", path).casefold()


def _unwrapped(files: dict[str, tuple[bytes, bool]]) -> dict[str, tuple[bytes, bool]]:
    """The files without the folders that wrap all of them (see the module's docstring)."""
    while all("/" in path for path in files) and len({path.split("/", 1)[0] for path in files}) == 1:
        files = {path.split("/", 1)[1]: entry for path, entry in files.items()}
    return dict(sorted(files.items()))


def _format(data: bytes) -> str:
    """ "gzip", "zip" or "tar" by the first bytes, or what else the data is, for the message."""
    if data.startswith(b"\x1f\x8b"):
        return "gzip"
    if data[:4] in (b"PK\x03\x04", b"PK\x05\x06"):
        return "zip"
    try:
        tarfile.TarInfo.frombuf(data[: tarfile.BLOCKSIZE], "utf-8", "surrogateescape")
        return "tar"
    except tarfile.HeaderError:
        if len(data) >= tarfile.BLOCKSIZE and not any(data[: tarfile.BLOCKSIZE]):
            return "tar"  # an empty tar is only its end-of-archive zeros
    known = next((kind for magic, kind in _OTHER_FORMATS.items() if data.startswith(magic)), None)
    return known or "neither a tar (.tar, .tar.gz, .tgz) nor a zip archive"


def _tar_members(data: bytes, limits: UploadLimits, upload: str, *, compressed: bool) -> Iterator[_Member]:
    # A plain tar is already in memory, within the upload limit; only a gzip can grow.
    stream = _Capped(gzip.GzipFile(fileobj=io.BytesIO(data)), limits) if compressed else io.BytesIO(data)
    try:
        # Stream mode ("r|") only reads forward, from the capped stream; it never seeks in the gzip.
        tar = tarfile.open(  # noqa: SIM115 (closed by the `with` below, once the open is known to work)
            fileobj=stream, mode="r|", encoding="utf-8", errors="surrogateescape"
        )
    except tarfile.ReadError as error:
        if not compressed:
            raise
        raise ArchiveRefused(f"{upload} is gzip-compressed but holds no tar archive ({error})") from None
    with tar:
        while (info := tar.next()) is not None:
            yield _Member(
                info.name,
                _tar_kind(info),
                info.size,
                bool(info.mode & stat.S_IXUSR),
                lambda n, info=info: tar.extractfile(info).read(min(n, info.size)),
            )
    # tarfile stops at the end-of-archive blocks; what follows them must still be read, within the
    # cap, for gzip to check its length and CRC and to notice a truncated stream.
    while compressed and stream.read(tarfile.RECORDSIZE):
        pass


def _tar_kind(info: tarfile.TarInfo) -> str:
    if info.issym():
        return f"a symbolic link to {shown(info.linkname)}; links are not allowed in an example"
    if info.islnk():
        return f"a hard link to {shown(info.linkname)}; links are not allowed in an example"
    if info.sparse is not None:
        return f"a sparse file; {_ONLY_FILES}"
    if info.isreg():
        return "file"
    if info.isdir():
        return "folder"
    kinds = {
        tarfile.CHRTYPE: "a character device",
        tarfile.BLKTYPE: "a block device",
        tarfile.FIFOTYPE: "a FIFO",
    }
    return f"{kinds.get(info.type, f'of tar type {info.type!r}')}; {_ONLY_FILES}"


def _zip_members(data: bytes) -> Iterator[_Member]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            mode = info.external_attr >> 16  # the unix mode, where the archiver wrote one

            def read(n: int, info: zipfile.ZipInfo = info) -> bytes:
                with archive.open(info) as member:
                    return member.read(n)  # zipfile inflates at most what is asked, in bounded steps

            yield _Member(
                _zip_name(info), _zip_kind(info, mode), info.file_size, bool(mode & stat.S_IXUSR), read
            )


def _zip_name(info: zipfile.ZipInfo) -> str:
    """The name as stored (orig_filename: zipfile's filename stops at a NUL), undecodable bytes escaped."""
    if info.flag_bits & _UTF8_NAMES:
        return info.orig_filename
    # Without the flag the name's bytes are in no declared encoding; archivers on unix write UTF-8.
    return info.orig_filename.encode("cp437").decode("utf-8", "surrogateescape")


def _zip_kind(info: zipfile.ZipInfo, mode: int) -> str:
    kind = stat.S_IFMT(mode)
    if kind == stat.S_IFLNK:
        return "a symbolic link; links are not allowed in an example"
    if info.is_dir() or kind == stat.S_IFDIR:
        return "folder"
    if kind not in (0, stat.S_IFREG):
        return f"a device, FIFO or socket; {_ONLY_FILES}"
    if info.flag_bits & 0x1:
        return "encrypted; upload it without a password"
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        method = zipfile.compressor_names.get(info.compress_type, f"method {info.compress_type}")
        return f"compressed with {method}; only stored and deflate members are accepted"
    return "file"


class _Capped:
    """A decompressed stream that gives at most `cap` bytes: past them the archive is refused."""

    def __init__(self, source: io.BufferedIOBase, limits: UploadLimits):
        self.source, self.limits, self.cap, self.given = source, limits, limits.unpacked_bytes, 0

    def read(self, n: int = -1) -> bytes:
        left = self.cap + 1 - self.given  # one byte more than allowed proves the stream is too long
        chunk = self.source.read(left if n is None or n < 0 else min(n, left))
        self.given += len(chunk)
        if self.given > self.cap:
            raise ArchiveRefused(
                f"the archive unpacks to more than {size(self.cap)} (its files may hold "
                f"{size(self.limits.total_bytes)} together): refused as a compression bomb"
            )
        return chunk


def shown(name: str) -> str:
    """A name as it may appear in a message: quoted, control characters escaped, long ones shortened."""
    return repr(name if len(name) <= 80 else f"{name[:60]}…{name[-12:]}")


def size(n: int) -> str:
    if n >= MIB and n % MIB == 0:
        return f"{n // MIB} MiB"
    if n >= KIB and n % KIB == 0:
        return f"{n // KIB} KiB"
    if n >= 10 * MIB:
        return f"{n / MIB:.1f} MiB"
    return f"{n:,} bytes"
