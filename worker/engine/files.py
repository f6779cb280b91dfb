"""An image's files, read through a container that is created and never started: no shell, no network."""

from __future__ import annotations

import contextlib
import io
import tarfile
from collections.abc import Iterable, Iterator, Mapping

import docker

from worker.engine.client import engine_errors

NEVER_STARTED = ["catalog-never-started"]  # the command of containers that are only created


@contextlib.contextmanager
def created_container(
    client: docker.DockerClient, image: str, labels: Mapping[str, str], name: str | None = None
) -> Iterator[str]:
    """A labelled container of `image`, never started, removed when the block ends; yields its id."""
    api = client.api
    with engine_errors():
        container = api.create_container(
            image, command=NEVER_STARTED, labels=dict(labels), network_disabled=True, name=name
        )["Id"]
        try:
            yield container
        finally:
            api.remove_container(container, force=True, v=True)


def paths_present(client: docker.DockerClient, container: str, paths: Iterable[str]) -> dict[str, bool]:
    """Which of `paths` exist in the container's filesystem."""
    api = client.api
    url = api._url("/containers/{0}/archive", container)
    found = {}
    with engine_errors():
        for path in paths:
            # HEAD only stats the path: no archive of a large directory is streamed.
            response = api.head(url, params={"path": path})
            if response.status_code not in (200, 404):
                api._raise_for_status(response)
            found[path] = response.status_code == 200
    return found


def read_text(client: docker.DockerClient, container: str, path: str) -> str:
    """A small file's text; "" when there is no such file."""
    with engine_errors():
        try:
            stream, _ = client.api.get_archive(container, path)
        except docker.errors.NotFound:
            return ""
        data = b"".join(stream)
    with tarfile.open(fileobj=io.BytesIO(data)) as archive:
        member = archive.next()
        content = archive.extractfile(member) if member is not None and member.isfile() else None
        return content.read().decode(errors="replace") if content else ""
