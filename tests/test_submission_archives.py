"""An uploaded archive of example files is read in memory, and every hostile shape of one is refused clearly.

The archives are real ones, made here with tarfile, zipfile and gzip; the bombs are made from chunks
compressed once and repeated, so a gigabyte of zeros costs milliseconds to build.
"""

import gzip
import io
import stat
import struct
import tarfile
import time
import tracemalloc
import zipfile
import zlib

import pytest

from catalog.submissions.archives import DEFAULT_LIMITS, ArchiveRefused, UploadLimits, read_archive

MIB = 1024 * 1024
GIB = 1024 * MIB
DOCKERFILE = b'FROM busybox:1.35\nCOPY app.sh /app.sh\nENTRYPOINT ["/app.sh"]\n'
SCENARIO = b"title: Signals\nsteps: []\n"
SCRIPT = b"#!/bin/sh\nexec sleep 1000\n"
EXAMPLE = {"Dockerfile": (DOCKERFILE, False), "example.yaml": (SCENARIO, False), "app.sh": (SCRIPT, True)}


def file(name: str, content: bytes = b"text\n", mode: int = 0o644) -> tuple[tarfile.TarInfo, bytes]:
    info = tarfile.TarInfo(name)
    info.size, info.mode = len(content), mode
    return info, content


def special(name: str, kind: bytes, linkname: str = "") -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, linkname
    return info, None


def tar_of(*members, compressed: bool = True, format: int = tarfile.PAX_FORMAT) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if compressed else "w", format=format) as tar:
        for info, content in members:
            tar.addfile(info, None if content is None else io.BytesIO(content))
    return buffer.getvalue()


def zip_of(*members: tuple) -> bytes:
    """Members as (name, content) or (name, content, unix mode), deflated, made as on unix."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content, *mode in members:
            info = zipfile.ZipInfo(name)
            info.create_system = 3
            info.external_attr = (mode[0] if mode else stat.S_IFREG | 0o644) << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def patched(data: bytes, old: bytes, new: bytes) -> bytes:
    """A zip with a stored name changed to one zipfile cannot write (NUL, bytes that are not UTF-8)."""
    assert len(old) == len(new) and data.count(old) == 2  # the local header and the central directory
    return data.replace(old, new)


def refusal(name: str, data: bytes, limits: UploadLimits = DEFAULT_LIMITS) -> str:
    with pytest.raises(ArchiveRefused) as refused:
        read_archive(name, data, limits)
    return str(refused.value)


def refused_quickly_and_small(name: str, data: bytes) -> str:
    """The refusal, made in under a second, allocating no more than a gzip may unpack to.

    Past the cap itself, a few reads' worth of buffers (gzip's, tarfile's) are allowed.
    """
    tracemalloc.start()
    started = time.perf_counter()
    try:
        message = refusal(name, data)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.perf_counter() - started < 1.0
    assert peak < DEFAULT_LIMITS.unpacked_bytes + 256 * 1024, f"{peak} bytes allocated"
    return message


def tar_header(name: str, size: int, kind: bytes = tarfile.REGTYPE) -> bytes:
    info = tarfile.TarInfo(name)
    info.size, info.type = size, kind
    return info.tobuf(format=tarfile.GNU_FORMAT)


def gzip_of_zeros_after(header: bytes, size: int) -> bytes:
    """A tar.gz stream of `header` and `size` zero bytes: one gzip member of a MiB of zeros, repeated."""
    zeros = gzip.compress(bytes(MIB))
    return gzip.compress(header) + zeros * (size // MIB) + gzip.compress(bytes(1024))


def deflated_zeros(size: int) -> bytes:
    """A raw deflate stream of `size` zero bytes, each MiB compressed once and repeated.

    After a full flush the compressor starts afresh, so every MiB of zeros comes out as the same bytes.
    """
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    chunk = compressor.compress(bytes(MIB)) + compressor.flush(zlib.Z_FULL_FLUSH)
    return chunk * (size // MIB) + compressor.flush()


def one_member_zip(name: bytes, deflated: bytes, declared_size: int, crc: int) -> bytes:
    """A zip of one deflated member around a stream made elsewhere; zipfile only stores what it compressed."""
    date = (1 << 5) | 1  # 1980-01-01
    local = struct.pack(
        "<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, date, crc, len(deflated), declared_size, len(name), 0
    )
    mode = (stat.S_IFREG | 0o644) << 16
    central = struct.pack(
        "<4s6H3L5H2L", b"PK\x01\x02", 0x0314, 20, 0, 8, 0, date, crc, len(deflated), declared_size,
        len(name), 0, 0, 0, 0, mode, 0,
    )  # fmt: skip
    end = struct.pack(
        "<4s4H2LH", b"PK\x05\x06", 0, 0, 1, 1, len(central + name), len(local + name + deflated), 0
    )
    return local + name + deflated + central + name + end


# The happy path


def test_a_tar_gz_of_an_example_in_a_folder_is_read_with_its_executable_bit():
    archive = tar_of(
        special("signals", tarfile.DIRTYPE),
        file("signals/Dockerfile", DOCKERFILE),
        file("signals/example.yaml", SCENARIO),
        file("signals/app.sh", SCRIPT, mode=0o755),
    )
    files = read_archive("signals.tar.gz", archive)
    assert files == EXAMPLE
    assert list(files) == sorted(files)


def test_a_zip_of_an_example_under_examples_slug_is_read_with_its_executable_bit():
    archive = zip_of(
        ("examples/", b"", stat.S_IFDIR | 0o755),
        ("examples/signals/", b"", stat.S_IFDIR | 0o755),
        ("examples/signals/Dockerfile", DOCKERFILE),
        ("examples/signals/example.yaml", SCENARIO),
        ("examples/signals/app.sh", SCRIPT, stat.S_IFREG | 0o755),
    )
    assert read_archive("signals.zip", archive) == EXAMPLE


def test_a_plain_tar_made_from_inside_the_folder_is_read():
    # `tar -cf x.tar .` names everything ./like/this and lists "." itself.
    archive = tar_of(
        special(".", tarfile.DIRTYPE),
        file("./Dockerfile", DOCKERFILE),
        file("./example.yaml", SCENARIO),
        file("./app.sh", SCRIPT, mode=0o755),
        compressed=False,
    )
    assert read_archive("signals.tar", archive) == EXAMPLE


def test_the_format_is_known_by_the_content_not_by_the_name():
    members = [
        file(path, content, 0o755 if executable else 0o644) for path, (content, executable) in EXAMPLE.items()
    ]
    assert read_archive("upload.zip", tar_of(*members)) == EXAMPLE
    assert read_archive("upload", tar_of(*members, compressed=False)) == EXAMPLE
    zipped = zip_of(
        *[(path, content, stat.S_IFREG | (0o755 if x else 0o644)) for path, (content, x) in EXAMPLE.items()]
    )
    assert read_archive("upload.tar.gz", zipped) == EXAMPLE


def test_only_a_folder_that_wraps_every_file_is_unwrapped():
    pattern = tar_of(file("my-pattern/README.md"), file("my-pattern/examples/signals/Dockerfile", DOCKERFILE))
    assert set(read_archive("p.tgz", pattern)) == {"README.md", "examples/signals/Dockerfile"}
    two_tops = tar_of(file("a/Dockerfile", DOCKERFILE), file("b/Dockerfile", DOCKERFILE))
    assert set(read_archive("ab.tgz", two_tops)) == {"a/Dockerfile", "b/Dockerfile"}
    # An empty folder beside the wrapper does not stop the unwrapping: only files count.
    with_empty = tar_of(special("empty", tarfile.DIRTYPE), file("top/Dockerfile", DOCKERFILE))
    assert set(read_archive("t.tgz", with_empty)) == {"Dockerfile"}


# Names that would write outside the folder


@pytest.mark.parametrize("make", [tar_of, zip_of], ids=["tar", "zip"])
@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("../../etc/cron.d/evil", "'../../etc/cron.d/evil': '..' is not allowed in a path"),
        ("signals/../../evil", "'signals/../../evil': '..' is not allowed in a path"),
        ("/etc/passwd", "'/etc/passwd': absolute paths are not allowed"),
        ("..\\..\\evil.bat", "'..\\\\..\\\\evil.bat': backslashes are not allowed in names"),
        ("C:/Windows/evil.bat", "'C:/Windows/evil.bat': drive letters are not allowed in names"),
    ],
)
def test_names_leading_out_of_the_folder_are_refused(make, name, message):
    archive = (
        make(file("Dockerfile", DOCKERFILE), file(name))
        if make is tar_of
        else make(("Dockerfile", DOCKERFILE), (name, b"x"))
    )
    assert message in refusal("evil", archive)


# Links and special files


def test_a_symbolic_link_out_of_the_tree_is_refused_in_a_tar():
    archive = tar_of(file("Dockerfile", DOCKERFILE), special("secrets", tarfile.SYMTYPE, "/etc/shadow"))
    message = refusal("x.tgz", archive)
    assert message == "'secrets' is a symbolic link to '/etc/shadow'; links are not allowed in an example"


def test_a_symbolic_link_is_refused_in_a_zip_by_its_unix_mode():
    archive = zip_of(("Dockerfile", DOCKERFILE), ("secrets", b"../../../etc/shadow", stat.S_IFLNK | 0o777))
    assert refusal("x.zip", archive) == "'secrets' is a symbolic link; links are not allowed in an example"


def test_a_hard_link_is_refused():
    archive = tar_of(file("Dockerfile", DOCKERFILE), special("shadow", tarfile.LNKTYPE, "../../etc/shadow"))
    message = refusal("x.tgz", archive)
    assert message == "'shadow' is a hard link to '../../etc/shadow'; links are not allowed in an example"


@pytest.mark.parametrize(
    ("kind", "what"),
    [
        (tarfile.CHRTYPE, "a character device"),
        (tarfile.BLKTYPE, "a block device"),
        (tarfile.FIFOTYPE, "a FIFO"),
    ],
)
def test_devices_and_fifos_are_refused(kind, what):
    archive = tar_of(special("dev/null", kind))
    assert refusal("x.tgz", archive) == f"'dev/null' is {what}; an example holds only files and folders"


def test_a_device_is_refused_in_a_zip_by_its_unix_mode():
    archive = zip_of(("fifo", b"", stat.S_IFIFO | 0o644))
    assert (
        refusal("x.zip", archive)
        == "'fifo' is a device, FIFO or socket; an example holds only files and folders"
    )


def test_a_sparse_file_is_refused():
    info, _ = special("holes", tarfile.GNUTYPE_SPARSE)
    assert "'holes' is a sparse file" in refusal("x.tar", tar_of((info, None), format=tarfile.GNU_FORMAT))


# Counts, sizes and bombs


def test_ten_thousand_tiny_files_are_refused_at_the_first_too_many():
    members = [file(f"f{number}.txt", b"x") for number in range(10_000)]
    # Compressed in one go: tarfile's "w:gz" compresses each small write, four times slower.
    archive = gzip.compress(tar_of(*members, compressed=False, format=tarfile.USTAR_FORMAT))
    started = time.perf_counter()
    assert refusal("many.tgz", archive) == "the archive holds more than 100 files"
    zipped = zip_of(*[(f"f{number}.txt", b"x") for number in range(10_000)])
    assert refusal("many.zip", zipped) == "the archive holds more than 100 files"
    assert time.perf_counter() - started < 1


def test_a_thousand_folders_are_refused_though_they_hold_nothing():
    archive = tar_of(*[special(f"d{number}", tarfile.DIRTYPE) for number in range(1000)])
    assert refusal("dirs.tgz", archive) == "the archive has more than 300 entries (files and folders)"


def test_a_100_mb_file_is_refused_by_its_size_before_it_is_read():
    archive = gzip_of_zeros_after(tar_header("big.txt", 100 * MIB), 100 * MIB)
    message = refused_quickly_and_small("big.tgz", archive)
    assert message == "'big.txt' is 100 MiB; one file may hold at most 256 KiB"


def test_a_100_mb_upload_is_refused_before_it_is_looked_at():
    message = refusal("big.zip", bytes(100 * MIB))
    assert message == "'big.zip' is 100 MiB; at most 2 MiB may be uploaded"


def test_files_over_the_total_are_refused():
    archive = tar_of(*[file(f"part{number}.txt", b"a" * 250 * 1024) for number in range(5)])
    assert refusal("x.tgz", archive) == "the files hold more than 1 MiB together (at 'part4.txt')"


def test_smaller_limits_are_honoured():
    archive = tar_of(file("a"), file("b"), file("c"))
    assert refusal("x.tgz", archive, UploadLimits(files=2)) == "the archive holds more than 2 files"


def test_a_tar_gz_of_a_gigabyte_of_zeros_is_refused_fast_and_small():
    archive = gzip_of_zeros_after(tar_header("zeros.txt", GIB), GIB)
    assert len(archive) < DEFAULT_LIMITS.archive_bytes
    assert (
        refused_quickly_and_small("bomb.tgz", archive)
        == "'zeros.txt' is 1024 MiB; one file may hold at most 256 KiB"
    )


@pytest.mark.parametrize(
    "kind", [tarfile.GNUTYPE_LONGNAME, tarfile.XHDTYPE], ids=["gnu-long-name", "pax-header"]
)
def test_a_gigabyte_header_is_stopped_by_the_cap_on_unpacked_bytes(kind):
    # tarfile reads a long-name or pax header whole into memory; its declared size is all it knows.
    archive = gzip_of_zeros_after(tar_header("././@LongLink", GIB, kind), GIB)
    message = refused_quickly_and_small("bomb.tgz", archive)
    assert message.startswith("the archive unpacks to more than ")
    assert message.endswith("(its files may hold 1 MiB together): refused as a compression bomb")


def test_a_zip_of_a_gigabyte_of_zeros_is_refused_fast_and_small():
    crc = 0
    for _ in range(GIB // MIB):
        crc = zlib.crc32(bytes(MIB), crc)
    archive = one_member_zip(b"zeros.txt", deflated_zeros(GIB), GIB, crc)
    assert len(archive) < DEFAULT_LIMITS.archive_bytes
    assert (
        refused_quickly_and_small("bomb.zip", archive)
        == "'zeros.txt' is 1024 MiB; one file may hold at most 256 KiB"
    )


def test_a_zip_member_that_inflates_past_its_declared_size_is_refused_fast_and_small():
    archive = one_member_zip(b"small.txt", deflated_zeros(GIB), 1000, crc=0)
    message = refused_quickly_and_small("liar.zip", archive)
    assert message.startswith("'liar.zip' is damaged or truncated (zip: Bad CRC-32 for file 'small.txt')")


def test_zip_members_compressed_other_than_by_deflate_are_refused():
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_BZIP2) as archive:
        archive.writestr("Dockerfile", DOCKERFILE)
    message = refusal("x.zip", buffer.getvalue())
    assert message == "'Dockerfile' is compressed with bzip2; only stored and deflate members are accepted"


def test_an_encrypted_zip_member_is_refused():
    archive = zip_of(("Dockerfile", DOCKERFILE))
    central = archive.index(b"PK\x01\x02")
    flags = central + 8  # the central directory's general purpose flags, whose bit 0 says encrypted
    archive = archive[:flags] + b"\x01" + archive[flags + 1 :]
    assert refusal("x.zip", archive) == "'Dockerfile' is encrypted; upload it without a password"


# Odd names


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("evil\x1b[31m.txt", "'evil\\x1b[31m.txt': the name holds U+001B (a control character)"),
        ("line\nbreak", "'line\\nbreak': the name holds U+000A (a control character)"),
        ("invoice\u202etxt.sh", "'invoice\\u202etxt.sh': the name holds U+202E (RIGHT-TO-LEFT OVERRIDE)"),
        ("zero\u200bwidth", "'zero\\u200bwidth': the name holds U+200B (ZERO WIDTH SPACE)"),
        (" Dockerfile", "' Dockerfile': a part of the name starts or ends with a space"),
        ("app/run.sh ", "'app/run.sh ': a part of the name starts or ends with a space"),
        ("a" * 5000, "characters long; at most 200 are allowed"),
        (
            "/".join("d" * 9) + "/f",
            "'d/d/d/d/d/d/d/d/d/f': the path is 10 levels deep; at most 8 are allowed",
        ),
        (".git/hooks/post-checkout", "'.git/hooks/post-checkout': a .git folder is not allowed"),
        ("sub/.GIT/config", "'sub/.GIT/config': a .git folder is not allowed"),
    ],
)
def test_odd_names_are_refused_and_shown_escaped(name, message):
    assert message in refusal("x.tgz", tar_of(file("Dockerfile", DOCKERFILE), file(name)))


def test_a_very_long_name_is_shown_shortened():
    message = refusal("x.tgz", tar_of(file("a" * 5000)))
    assert message == f"'{'a' * 60}…{'a' * 12}': the name is 5000 characters long; at most 200 are allowed"


def test_a_tar_name_that_is_not_utf8_is_refused():
    archive = tar_of(
        file("caf\udce9.txt"), format=tarfile.GNU_FORMAT
    )  # the byte 0xe9, as surrogateescape has it
    assert refusal("x.tar", archive) == "b'caf\\xe9.txt': the name is not UTF-8"


def test_a_zip_name_that_is_not_utf8_is_refused():
    archive = patched(zip_of(("caf_.txt", b"x")), b"caf_.txt", b"caf\xe9.txt")
    assert refusal("x.zip", archive) == "b'caf\\xe9.txt': the name is not UTF-8"


def test_a_zip_name_with_a_nul_is_refused_though_zipfile_would_cut_it_there():
    archive = patched(zip_of(("a_b.sh", b"x")), b"a_b.sh", b"a\x00b.sh")
    assert (
        refusal("x.zip", archive)
        == "'a\\x00b.sh': the name holds U+0000 (a control character); names are plain visible text"
    )


def test_the_uploads_own_name_is_shown_escaped():
    assert refusal("\u202egnp.sh", b"hello") == (
        "'\\u202egnp.sh' is neither a tar (.tar, .tar.gz, .tgz) nor a zip archive; "
        "upload a .tar.gz, .tgz, .tar or .zip archive"
    )


# Duplicates


@pytest.mark.filterwarnings("ignore:Duplicate name")  # zipfile's, when the test writes the same name twice
@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("Dockerfile", "Dockerfile"),
        ("app/run.sh", "./app//run.sh"),
        ("Dockerfile", "dockerfile"),
        ("caf\u00e9.txt", "cafe\u0301.txt"),  # composed and decomposed é
    ],
)
def test_two_members_naming_the_same_file_are_refused(first, second):
    archive = zip_of((first, b"one"), (second, b"two"))
    assert refusal("x.zip", archive) == f"{first!r} and {second!r} name the same file"


def test_a_name_that_is_both_a_file_and_a_folder_is_refused():
    archive = tar_of(file("app"), file("App/run.sh"))
    assert refusal("x.tgz", archive) == "'app' is both a file and a folder (as in 'App/run.sh')"


# Contents


def test_content_that_is_not_utf8_is_refused():
    archive = tar_of(file("Dockerfile", DOCKERFILE), file("logo.png", b"\x89PNG\r\n\x1a\n"))
    assert (
        refusal("x.tgz", archive) == "'logo.png' is not UTF-8 text (byte 0 is 0x89); example files are text"
    )


def test_content_with_nul_bytes_is_refused():
    archive = zip_of(("Dockerfile", DOCKERFILE), ("app.sh", b"#!/bin/sh\x00rm -rf /\n"))
    assert refusal("x.zip", archive) == "'app.sh' holds a NUL byte (at byte 9); example files are text"


# Damaged archives and other formats


def test_a_truncated_gzip_is_refused():
    archive = tar_of(file("Dockerfile", DOCKERFILE), file("app.sh", b"echo hi\n" * 1000))
    message = refusal("x.tgz", archive[: len(archive) // 2])
    assert message.startswith("'x.tgz' is damaged or truncated (gzip: Compressed file ended before")


def test_a_corrupt_gzip_is_refused():
    archive = bytearray(tar_of(file("Dockerfile", DOCKERFILE)))
    archive[-8] ^= 0xFF  # the trailer's CRC-32
    assert refusal("x.tgz", bytes(archive)).startswith(
        "'x.tgz' is damaged or truncated (gzip: CRC check failed"
    )


def test_a_gzip_holding_no_tar_is_refused():
    message = refusal("notes.tgz", gzip.compress(b"just some notes\n" * 100))
    assert message.startswith("'notes.tgz' is gzip-compressed but holds no tar archive")


def test_a_truncated_zip_is_refused():
    archive = zip_of(("Dockerfile", DOCKERFILE))
    assert refusal("x.zip", archive[:40]).startswith("'x.zip' is damaged or truncated (zip: ")


@pytest.mark.parametrize(
    ("data", "what"),
    [
        (b"FROM busybox\n", "neither a tar (.tar, .tar.gz, .tgz) nor a zip archive"),
        (b"\x89PNG\r\n\x1a\n" + bytes(600), "neither a tar (.tar, .tar.gz, .tgz) nor a zip archive"),
        (b"\xfd7zXZ\x00\x00\x04", "an xz file"),
        (b"BZh91AY&SY", "a bzip2 file"),
    ],
)
def test_a_file_that_is_neither_format_is_refused(data, what):
    assert (
        refusal("upload.tar.gz", data)
        == f"'upload.tar.gz' is {what}; upload a .tar.gz, .tgz, .tar or .zip archive"
    )


def test_an_empty_upload_and_an_empty_archive_are_refused():
    assert refusal("x.zip", b"") == "'x.zip' is empty"
    assert refusal("x.tgz", tar_of()) == "'x.tgz' holds no files"
    assert refusal("x.zip", zip_of(("only/", b"", stat.S_IFDIR | 0o755))) == "'x.zip' holds no files"
