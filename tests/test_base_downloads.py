"""A base's download size: each layer compressed as a registry sends it, measured on the real engine."""

from __future__ import annotations

import io
import zlib

import docker
import pytest

from worker.bases.downloads import layer_downloads
from worker.contract.report import download_size

pytestmark = pytest.mark.docker

# Two layers on busybox: 256 KiB that no compressor can shrink, and 4 MiB of zeros that shrink to little.
DOCKERFILE = b"""FROM busybox:1.35
RUN head -c 262144 /dev/urandom > /noise
RUN head -c 4194304 /dev/zero > /zeros
"""


@pytest.fixture
def two_layer_image(docker_client, busybox, labels):
    image, _ = docker_client.images.build(fileobj=io.BytesIO(DOCKERFILE), labels=labels, rm=True)
    return image


def test_each_layer_is_measured_compressed_and_a_shared_layer_is_fetched_once(
    docker_client, two_layer_image, tmp_path
):
    layers = layer_downloads(docker_client, two_layer_image.id, tmp_path)
    assert [layer.diff_id for layer in layers] == two_layer_image.attrs["RootFS"]["Layers"]
    base, noise, zeros = layers
    assert noise.size > 256 * 1024  # random bytes do not compress: the tar and gzip add to them
    assert zeros.unpacked > 4 * 1024 * 1024 > 100 * zeros.size  # the layer as stored, and as sent
    assert zeros.size < len(zlib.compress(bytes(4 * 1024 * 1024), 6)) + 4096
    busybox_layers = layer_downloads(docker_client, docker_client.images.get("busybox:1.35").id, None)
    assert busybox_layers == (base,)
    assert download_size([busybox_layers, layers]) == base.size + noise.size + zeros.size


def test_the_figures_are_kept_per_image_id(docker_client, two_layer_image, tmp_path):
    measured = layer_downloads(docker_client, two_layer_image.id, tmp_path)
    (kept,) = tmp_path.glob("*.layers.json")
    assert kept.name == two_layer_image.id.removeprefix("sha256:") + ".layers.json"
    docker_client.images.remove(two_layer_image.id)  # from now on only the kept file can answer
    assert layer_downloads(docker_client, two_layer_image.id, tmp_path) == measured
    kept.write_text("torn{")
    with pytest.raises(docker.errors.ImageNotFound):  # a torn file is measured again, not trusted
        layer_downloads(docker_client, two_layer_image.id, tmp_path)
