"""Remove what the worker labelled and no live attempt owns: containers, volumes, networks, images."""

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

import docker
from docker.errors import APIError, NotFound

from worker.contract.labels import ATTEMPT, INSTANCE, OWNER, VERIFICATION

# The classic builder applies a build's `labels` as one LABEL step per label, in key order: the
# images between them carry the owner and instance but not yet the verification. The page's
# commands build that way (worker/commands/rules.py), so such an image is a build under way for
# this long; after it, one a dead run left, and reaped.
BUILDING_GRACE_SECONDS = 600


@dataclass(frozen=True)
class ReapReport:
    containers: int = 0
    volumes: int = 0
    networks: int = 0
    images: int = 0

    @property
    def total(self) -> int:
        return self.containers + self.volumes + self.networks + self.images


def owner_of(labels: dict) -> tuple[int, int] | None:
    try:
        return int(labels[VERIFICATION]), int(labels[ATTEMPT])
    except (KeyError, ValueError):
        return None


def verification_of(labels: dict) -> int | None:
    try:
        return int(labels[VERIFICATION])
    except (KeyError, ValueError):
        return None


def reap(
    client: docker.DockerClient,
    live_attempts: Iterable[tuple[int, int]],
    *,
    instance: str,
    owner: str = "worker",
    now: float | None = None,
) -> ReapReport:
    """Remove resources labelled by `owner` for this catalog `instance` unless a live attempt owns them.

    A finished verification removes its own images (its result keeps their facts and layers),
    so an image found here belongs to an attempt that died before it could.

    Only what carries both labels is ever looked at, so nothing made by anyone else,
    another catalog on the same engine included, can be removed.
    """
    live = set(live_attempts)
    selector = {"label": [f"{OWNER}={owner}", f"{INSTANCE}={instance}"]}
    counts = {"containers": 0, "volumes": 0, "networks": 0, "images": 0}
    live_verifications = {pk for pk, _ in live}
    for container in client.containers.list(all=True, filters=selector):
        if not _container_is_live(container.labels, live, live_verifications):
            counts["containers"] += _remove(container.remove, force=True, v=True)
    for network in client.networks.list(filters=selector):
        if owner_of(network.attrs.get("Labels") or {}) not in live:
            counts["networks"] += _remove(network.remove)
    for volume in client.volumes.list(filters=selector):
        if owner_of(volume.attrs.get("Labels") or {}) not in live:
            counts["volumes"] += _remove(volume.remove, force=True)
    now = time.time() if now is None else now
    for image in client.images.list(filters=selector):
        verification = verification_of(image.labels)  # images carry no attempt label
        if verification is None and now - _created(image) < BUILDING_GRACE_SECONDS:
            continue  # a build's LABEL steps are under way (see BUILDING_GRACE_SECONDS)
        if verification not in live_verifications:
            counts["images"] += _remove(client.images.remove, image.id, force=True)
    return ReapReport(**counts)


def _created(image) -> float:
    try:
        return datetime.fromisoformat(image.attrs["Created"][:19]).replace(tzinfo=UTC).timestamp()
    except (KeyError, ValueError):
        return 0.0  # unknown: old enough


def _container_is_live(labels: dict, live: set, live_verifications: set) -> bool:
    """A scenario's container names its attempt; a build step's container does not.

    The classic builder runs each RUN step in a container made from the image below it, whose
    labels come from the run's base copy: the verification without the attempt. Such a container
    lives for one step and belongs to whichever attempt of that verification is live.
    """
    if ATTEMPT in labels:
        return owner_of(labels) in live
    return verification_of(labels) in live_verifications


def _remove(remove, *args, **kwargs) -> int:
    try:
        remove(*args, **kwargs)
    except NotFound:
        return 0  # someone else removed it first: the outcome we wanted
    except APIError:
        return 0  # in use by a live container; the next pass tries again
    return 1
