"""The Docker engine both sides share: checking that it is one, removing what this bench made on it."""

from __future__ import annotations

import contextlib
import subprocess

import docker

LABEL = "catalog.bench"  # on everything either side creates; the final clean-up removes by it


def remove_images(client: docker.DockerClient, run_id: str, made: list[str]) -> None:
    """This bench's images: the labelled ones (both sides'), then the loop's unlabelled intermediates."""
    for image in client.images.list(filters={"label": f"{LABEL}={run_id}"}):
        with contextlib.suppress(docker.errors.NotFound):
            client.images.remove(image.id, force=True)
    for image in reversed(made):
        # Never forced: one that another image still uses stays, and goes with that image.
        with contextlib.suppress(docker.errors.NotFound, docker.errors.APIError):
            client.images.remove(image)
    made.clear()


def remove_everything(client: docker.DockerClient, run_id: str) -> None:
    selector = {"label": f"{LABEL}={run_id}"}
    for container in client.containers.list(all=True, filters=selector):
        container.remove(force=True, v=True)
    for network in client.networks.list(filters=selector):
        network.remove()
    for volume in client.volumes.list(filters=selector):
        volume.remove(force=True)
    remove_images(client, run_id, [])


def same_engine(client: docker.DockerClient) -> None:
    """The CLI follows its context, the worker DOCKER_HOST: both sides must reach one engine."""
    cli = subprocess.run(["docker", "info", "-f", "{{.ID}}"], capture_output=True, text=True, check=True)
    if cli.stdout.strip() != client.info()["ID"]:
        raise RuntimeError("the docker CLI and DOCKER_HOST reach different engines")
