"""Layer analysis on the real engine: exact bytes for every kind of change and waste, in both save layouts."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import tarfile
import time

import pytest
import zstandard

from tests.conftest import LABELS, labelled
from tests.test_builder import ensure_busybox
from worker.images.build_context import context_tar
from worker.images.builder import build_image
from worker.layers.analysis import analyse_archive, analyse_image
from worker.layers.archive import ArchiveError
from worker.layers.entries import normalise_path, read_layer
from worker.layers.stack import LayerChanges, LayerStack
from worker.layers.stream import ForwardStream

pytestmark = pytest.mark.docker

# Each file has its own size and byte, so every figure below points at one file. Layers are counted
# from the base's (BASE) on: BASE is the first RUN's, BASE + 1 the next.
DOCKERFILE = b"""FROM busybox:1.35
RUN mkdir -p /data/sub && head -c 524288 /dev/zero > /data/big.bin \\
 && head -c 1000 /dev/zero | tr '\\0' a > /data/sub/a.txt \\
 && head -c 20000 /dev/zero | tr '\\0' c > /data/config.bin \\
 && head -c 30000 /dev/zero | tr '\\0' d > /data/doomed.bin \\
 && head -c 40000 /dev/zero | tr '\\0' m > /data/mode.bin \\
 && head -c 50000 /dev/zero | tr '\\0' l > /data/linked.bin \\
 && head -c 60000 /dev/zero | tr '\\0' s > /data/same.bin \\
 && head -c 70000 /dev/zero | tr '\\0' t > /data/twin1.bin
RUN head -c 25000 /dev/zero | tr '\\0' C > /data/config.bin
RUN rm /data/doomed.bin
RUN rm -rf /data/sub && mkdir /data/sub && head -c 2000 /dev/zero | tr '\\0' b > /data/sub/b.txt
RUN chmod 600 /data/mode.bin
RUN ln /data/linked.bin /data/a-link
COPY same.bin twin2.bin /data/
COPY same.bin /same.bin
COPY same.bin /same.bin
RUN true
"""
FILES = {
    "Dockerfile": (DOCKERFILE, False),
    "same.bin": (b"s" * 60_000, False),
    "twin2.bin": (b"t" * 70_000, False),
}
BASE = 1  # busybox:1.35's layers, as the published image and its stand-in have them; checked below
# Regular-file bytes each own layer wrote (hard links once), oldest first.
OWN_CONTENT = [795_288, 25_000, 0, 2_000, 40_000, 50_000, 130_000, 60_000, 60_000]
# (written_by, hidden_by, path, bytes, reason), in the order the layers hid them.
OWN_EDGES = [
    (BASE, BASE + 1, "/data/config.bin", 20_000, "overwritten"),
    (BASE, BASE + 2, "/data/doomed.bin", 30_000, "deleted"),
    (BASE, BASE + 3, "/data/sub/a.txt", 1_000, "opaque-replaced"),
    (BASE, BASE + 4, "/data/mode.bin", 40_000, "metadata-copy"),
    (BASE, BASE + 5, "/data/linked.bin", 50_000, "hardlink-copy"),
    (BASE, BASE + 6, "/data/same.bin", 60_000, "overwritten"),
    (BASE + 7, BASE + 8, "/same.bin", 60_000, "overwritten"),
]
OWN_WRITTEN = 1_162_288  # sum(OWN_CONTENT)
RECLAIMABLE = 261_000  # sum of OWN_EDGES' bytes: the base hides nothing
OWN_FINAL = 901_288  # big 524,288 + config 25,000 + b.txt 2,000 + mode 40,000 + linked 50,000
# + /data/same.bin 60,000 + twin1 70,000 + twin2 70,000 + /same.bin 60,000


@pytest.fixture(scope="module")
def labels(docker_client):
    # One build serves the module; conftest's labels are function-scoped, so take them at the source.
    yield from labelled(docker_client, LABELS)


@pytest.fixture(scope="module")
def base(docker_client):
    ensure_busybox(docker_client)
    attrs = docker_client.api.inspect_image("busybox:1.35")
    return {"diff_ids": attrs["RootFS"]["Layers"], "analysis": analyse_image(docker_client, "busybox:1.35")}


@pytest.fixture(scope="module")
def built(docker_client, labels, base):
    result = build_image(
        docker_client,
        image_name="layers",
        context=context_tar(FILES),
        dockerfile="Dockerfile",
        tag=f"catalog-test/layers-{labels['catalog.test']}:layers",
        labels=labels,
        deadline=time.monotonic() + 120,
    )
    assert result.ok, result.log
    return result


@pytest.fixture(scope="module")
def analysis(docker_client, built, base):
    return analyse_image(docker_client, built.image_id, base=base["diff_ids"])


def test_each_kind_of_waste_is_attributed_exactly(analysis, base):
    assert len(base["diff_ids"]) == BASE, "the numbers below assume busybox:1.35 of one layer"
    assert (analysis.base_layers, analysis.base_matched, analysis.layout) == (BASE, True, "docker-save")
    assert [layer.content_bytes for layer in analysis.layers[BASE:]] == OWN_CONTENT
    assert [tuple(edge) for edge in analysis.edges] == OWN_EDGES
    base_final = base["analysis"].final_bytes
    assert base["analysis"].reclaimable_bytes == 0
    assert analysis.written_bytes == base_final + OWN_WRITTEN
    assert analysis.final_bytes == base_final + OWN_FINAL
    assert analysis.reclaimable_bytes == analysis.own_reclaimable_bytes == RECLAIMABLE
    assert analysis.efficiency == (base_final + OWN_FINAL) / (base_final + OWN_WRITTEN)
    assert analysis.own_content_bytes == OWN_WRITTEN


def test_the_changes_of_each_layer(analysis):
    def changes(index):
        return [(c.change, c.path, c.type, c.bytes) for c in analysis.layers[index].changes]

    assert changes(BASE + 1) == [("modified", "/data/config.bin", "file", 25_000)]
    assert changes(BASE + 2) == [("removed", "/data/doomed.bin", "file", 30_000)]
    # rm -rf + mkdir of the same directory: overlay writes an opaque marker, the old file is gone.
    assert changes(BASE + 3) == [
        ("removed", "/data/sub/a.txt", "file", 1_000),
        ("added", "/data/sub/b.txt", "file", 2_000),
    ]
    assert changes(BASE + 4) == [("metadata-copy", "/data/mode.bin", "file", 40_000)]
    # The tar stores a-link (sorted first) as the file and linked.bin as the link: the copy-up is linked.bin.
    assert changes(BASE + 5) == [
        ("added", "/data/a-link", "hardlink", 0),
        ("hardlink-copy", "/data/linked.bin", "file", 50_000),
    ]
    assert changes(BASE + 6) == [
        ("rewritten", "/data/same.bin", "file", 60_000),
        ("added", "/data/twin2.bin", "file", 70_000),
    ]
    assert analysis.layers[BASE + 3].totals["removed"] == (1, 1_000)
    assert analysis.layers[BASE + 5].totals["hardlink-copy"] == (1, 50_000)
    # The rm layer is two 512-byte headers (data/, data/.wh.doomed.bin) and the 1,024-byte end of archive.
    assert (analysis.layers[BASE + 2].tar_bytes, analysis.layers[BASE + 2].stored_bytes) == (2_048, 2_048)
    assert analysis.layers[BASE].instruction.startswith("RUN mkdir -p /data/sub && head -c 524288 /dev/zero")
    assert analysis.layers[BASE + 6].instruction.startswith("COPY multi:")
    assert analysis.history[-1].instruction.startswith("LABEL ") and analysis.history[-1].layer is None


def test_the_final_filesystem(analysis):
    assert analysis.duplicate_bytes == 130_000  # twin2 repeats twin1, /same.bin repeats /data/same.bin
    assert [(group.bytes, group.paths) for group in analysis.duplicates] == [
        (70_000, ("/data/twin1.bin", "/data/twin2.bin")),
        (60_000, ("/data/same.bin", "/same.bin")),
    ]
    largest = [(file.path, file.bytes, file.layer) for file in analysis.largest_files]
    assert ("/data/big.bin", 524_288, BASE) in largest
    # The hard-linked pair is one file: listed once, never a duplicate.
    assert [path for path, _, _ in largest if path in ("/data/a-link", "/data/linked.bin")] == [
        "/data/a-link"
    ]
    tree = {child["name"]: child for child in analysis.tree(BASE + 3, "/data")}
    assert tree["sub"]["type"] == "dir" and tree["sub"]["bytes"] == 2_000 + 1_000
    assert tree["sub"]["changes"] == {"removed": 1, "added": 1}
    assert [child["path"] for child in analysis.tree(BASE + 3, "/data/sub")] == [
        "/data/sub/b.txt",
        "/data/sub/a.txt",
    ]
    stored = json.loads(json.dumps(analysis.to_dict()))
    assert stored["reclaimable_bytes"] == RECLAIMABLE and stored["layers"][BASE + 3]["changes_cap"] == 2_000
    assert stored["edge_totals"][0] == {
        "written_by": BASE,
        "hidden_by": BASE + 6,
        "reason": "overwritten",
        "files": 1,
        "bytes": 60_000,
    }


def test_layer_bytes_agree_with_the_engine_history(docker_client, analysis, built):
    """The engine sizes a layer like du on its diff: files with hard links once, plus each symlink's
    target length (an lstat size), which a tar stores as 0 bytes. So history Size is exactly
    content_bytes + symlink_bytes, and a step without a layer is 0."""
    rows = list(reversed(docker_client.api.history(built.image_id)))
    assert len(rows) == len(analysis.history)
    for step, row in zip(analysis.history, rows, strict=True):
        layer = analysis.layers[step.layer] if step.layer is not None else None
        expected = layer.content_bytes + layer.symlink_bytes if layer else 0
        assert (step.instruction, row["Size"]) == (step.instruction, expected)
    assert sum(layer.symlink_bytes for layer in analysis.layers[BASE:]) == 0


def test_a_blob_named_twice_is_read_once(analysis):
    # The two identical COPY layers have one DiffID; the legacy save links the second layer.tar to the first.
    assert analysis.layers[BASE + 7].diff_id == analysis.layers[BASE + 8].diff_id
    assert analysis.layers[BASE + 7].blob == analysis.layers[BASE + 8].blob
    assert (len(analysis.layers), analysis.blobs_read) == (BASE + 9, BASE + 8)


def test_an_oci_layout_with_gzip_and_zstd_blobs_reads_the_same(docker_client, built, base, analysis):
    archive = oci_archive(b"".join(docker_client.api.get_image(built.image_id, chunk_size=None)))
    chunks = (archive[i : i + 65_536] for i in range(0, len(archive), 65_536))
    oci = analyse_archive(chunks, image_id=built.image_id, base=base["diff_ids"])
    assert oci.layout == "oci" and oci.blobs_read == BASE + 8
    assert [layer.compression for layer in oci.layers[:3]] == ["gzip", "zstd", "none"]
    assert oci.layers[0].stored_bytes < oci.layers[0].tar_bytes
    different = ("layout", "blob", "compression", "stored_bytes")
    assert _without(oci.to_dict(), different) == _without(analysis.to_dict(), different)
    cut = archive[: len(archive) // 2]
    with pytest.raises(ArchiveError, match="the save stream ended inside blobs/sha256/"):
        analyse_archive([cut])


def test_paths_are_normalised_by_prefix_never_by_characters():
    # lstrip("./") would make this "wh.data", an ordinary file, and /data would survive.
    assert normalise_path("./.wh.data") == "/.wh.data"
    assert normalise_path("././/etc//./passwd") == "/etc/passwd"
    assert normalise_path("./") == normalise_path(".") == "/"
    assert normalise_path("a/../../etc") is None
    stack = LayerStack()
    stack.apply(0, read_layer(_tar(("./data/", None), ("./data/x", b"12345"))).entries)
    reading = read_layer(_tar(("./.wh.data", b""), ("./.wh..wh.plnk", b""), ("./dir/.wh.", b"")))
    assert [(entry.kind, entry.path) for entry in reading.entries] == [("whiteout", "/data")]
    assert reading.skipped == 2  # aufs bookkeeping and a bare ".wh." mean nothing
    changes = stack.apply(1, reading.entries)
    assert changes.totals["removed"] == [2, 5] and list(stack.final_files()) == []
    assert [tuple(edge) for edge in stack.edges] == [(0, 1, "/data/x", 5, "deleted")]


def test_an_empty_layer_is_an_empty_tar():
    # 1,024 zero bytes: no header, so no magic; the classic builder records no such layer, BuildKit may.
    reading = read_layer(ForwardStream([bytes(1_024)]))
    assert (reading.entries, reading.tar_bytes) == ((), 1_024)


def test_stored_changes_are_capped_and_totals_are_not():
    stack = LayerStack()
    members = [(f"f{size}", b"x" * size) for size in (5, 1, 4, 2, 3)]
    changes = stack.apply(0, read_layer(_tar(*members)).entries, cap=2)
    assert isinstance(changes, LayerChanges) and changes.truncated
    assert [(change.path, change.bytes) for change in changes.kept()] == [("/f4", 4), ("/f5", 5)]
    assert changes.totals["added"] == [5, 15]


def test_a_kaniko_archive_reads_as_one_image_id():
    # kaniko saves with go-containerregistry's tarball package, which names the config member by
    # its digest, `sha256:<hex>`, where the engine writes `<hex>.json` (dive's test-kaniko-image.tar).
    layer = _tar_bytes(("hello.txt", b"hello\n"))
    blob = gzip.compress(layer)
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {"type": "layers", "diff_ids": [f"sha256:{hashlib.sha256(layer).hexdigest()}"]},
            "history": [{"created_by": "COPY hello.txt /"}],
        }
    ).encode()
    config_hex = hashlib.sha256(config).hexdigest()
    blob_name = f"{hashlib.sha256(blob).hexdigest()}.tar.gz"
    manifest = [{"Config": f"sha256:{config_hex}", "RepoTags": ["kaniko/test:1"], "Layers": [blob_name]}]
    archive = _tar_bytes(
        (f"sha256:{config_hex}", config), (blob_name, blob), ("manifest.json", json.dumps(manifest).encode())
    )
    analysis = analyse_archive([archive[i : i + 100] for i in range(0, len(archive), 100)])
    assert analysis.image_id == f"sha256:{config_hex}"
    assert (analysis.layout, analysis.layers[0].compression, analysis.final_files) == (
        "docker-save",
        "gzip",
        1,
    )


def _tar(*members: tuple[str, bytes | None]) -> ForwardStream:
    """A tar made here, handed over in 100-byte chunks so headers and files straddle chunk ends."""
    data = _tar_bytes(*members)
    return ForwardStream(data[i : i + 100] for i in range(0, len(data), 100))


def _tar_bytes(*members: tuple[str, bytes | None]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            if data is None:
                info.type = tarfile.DIRTYPE
                tar.addfile(info)
            else:
                info.size = len(data)
                tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _without(data, keys):
    if isinstance(data, dict):
        return {key: _without(value, keys) for key, value in data.items() if key not in keys}
    if isinstance(data, list):
        return [_without(value, keys) for value in data]
    return data


def oci_archive(saved: bytes) -> bytes:
    """The same image re-packed as an OCI layout: layer 0 gzip, layer 1 zstd, the rest plain tar,
    behind a nested index that also holds an attestation manifest, with index.json written first.
    """
    with tarfile.open(fileobj=io.BytesIO(saved)) as tar:

        def read(name):
            return tar.extractfile(name).read()  # follows the link of a repeated layer to its first copy

        manifest = json.loads(read("manifest.json"))[0]
        config = read(manifest["Config"])
        layers = [read(name) for name in manifest["Layers"]]
    blobs = {}

    def blob(data: bytes, media_type: str, **extra) -> dict:
        digest = "sha256:" + hashlib.sha256(data).hexdigest()
        blobs[f"blobs/sha256/{digest[7:]}"] = data
        return {"mediaType": media_type, "digest": digest, "size": len(data), **extra}

    packed = [gzip.compress(layers[0]), zstandard.ZstdCompressor().compress(layers[1]), *layers[2:]]
    suffixes = ["+gzip", "+zstd"] + [""] * (len(layers) - 2)
    image = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": blob(config, "application/vnd.oci.image.config.v1+json"),
        "layers": [
            blob(data, "application/vnd.oci.image.layer.v1.tar" + suffix)
            for data, suffix in zip(packed, suffixes, strict=True)
        ],
    }
    attestation = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": blob(b"{}", "application/vnd.oci.image.config.v1+json"),
        "layers": [blob(b'{"_type": "https://in-toto.io/Statement/v0.1"}', "application/vnd.in-toto+json")],
    }
    nested = {
        "schemaVersion": 2,
        "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            blob(
                json.dumps(attestation).encode(),
                attestation["mediaType"],
                platform={"os": "unknown", "architecture": "unknown"},
                annotations={"vnd.docker.reference.type": "attestation-manifest"},
            ),
            blob(
                json.dumps(image).encode(),
                image["mediaType"],
                platform={"os": "linux", "architecture": "amd64"},
            ),
        ],
    }
    index = {"schemaVersion": 2, "manifests": [blob(json.dumps(nested).encode(), nested["mediaType"])]}
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w") as tar:
        files = {"index.json": json.dumps(index).encode(), "oci-layout": b'{"imageLayoutVersion": "1.0.0"}'}
        for name, data in [*files.items(), *sorted(blobs.items())]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return out.getvalue()


def test_a_layer_read_before_is_reused_by_its_content_addressed_name(docker_client, built, base, monkeypatch):
    from worker.layers import archive as layer_archive

    monkeypatch.setattr(layer_archive, "REMEMBER_FROM_BYTES", 0)  # the test layers are small
    monkeypatch.setattr(layer_archive, "_READINGS", layer_archive.OrderedDict())
    first = analyse_image(docker_client, built.image_id, base=base["diff_ids"]).to_dict()
    remembered = len(layer_archive._READINGS)
    assert remembered >= 2  # the base layers and the image's own, by chain-ID directory
    reads = []
    monkeypatch.setattr(layer_archive, "read_layer", lambda stream: reads.append(1) or 1 / 0)
    again = analyse_image(docker_client, built.image_id, base=base["diff_ids"]).to_dict()
    assert reads == [] and again == first  # nothing parsed again, the same analysis
