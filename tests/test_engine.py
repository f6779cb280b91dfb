"""The real Docker engine: docker-py reaches it, builds a labelled image offline and reads it back."""

import io
import tarfile

import pytest

pytestmark = pytest.mark.docker

GREETING = b"hello from a scratch image\n"
# FROM scratch needs no registry: the build works on a machine that reaches none.
DOCKERFILE = b"FROM scratch\nCOPY greeting.txt /greeting.txt\n"


def tar_of(files: dict[str, bytes]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def read_one_file(archive: bytes) -> bytes:
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        member = tar.next()
        assert member is not None
        extracted = tar.extractfile(member)
        assert extracted is not None
        return extracted.read()


def test_engine_answers_version(docker_client):
    version = docker_client.version()
    assert version["ApiVersion"]
    assert version["Version"]


@pytest.fixture
def built_image(docker_client, docker_labels):
    context = tar_of({"Dockerfile": DOCKERFILE, "greeting.txt": GREETING})
    tag = f"catalog-test/engine:{docker_labels['catalog.test-run']}"
    events = list(
        docker_client.api.build(
            fileobj=context,
            custom_context=True,
            tag=tag,
            labels=docker_labels,
            rm=True,
            forcerm=True,
            network_mode="none",
            decode=True,
        )
    )
    errors = [event["error"] for event in events if "error" in event]
    assert not errors, errors
    image = docker_client.images.get(tag)
    yield image
    docker_client.images.remove(image.id, force=True)


def test_builds_a_labelled_image_and_reads_its_file_back(docker_client, docker_labels, built_image):
    assert docker_labels.items() <= built_image.labels.items()
    # Created, never started: a scratch image has no shell, and get_archive needs no process.
    container = docker_client.containers.create(
        built_image.id, command=["/greeting.txt"], labels=docker_labels, network_disabled=True
    )
    try:
        archive, stat = container.get_archive("/greeting.txt")
        assert stat["size"] == len(GREETING)
        assert read_one_file(b"".join(archive)) == GREETING
    finally:
        container.remove(force=True)
