"""Remove a run's containers, networks and volumes by its label: a scenario's and its commands' alike."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Mapping
from typing import Any

import docker
import requests
from docker.errors import APIError, NotFound

from worker.engine.client import label_filters
from worker.engine.interrupts import INTERRUPTS

# How long a container's removal is tried again before it is reported as left behind. gVisor under
# load has taken minutes to end a sandbox; a removal that timed out meanwhile is still the engine's
# to finish, and a second try answers 409 (in progress) until it has.
REMOVAL_SECONDS = 90.0
REMOVAL_RETRY_INTERVAL = 1.0


def remove_labelled(client: docker.DockerClient, labels: Mapping[str, str]) -> list[str]:
    """Containers (with their anonymous volumes) first, since they hold networks and volumes.

    Images are the caller's (worker/images/builder.py). Returns what could not be removed and
    never raises: it runs in a `finally`, often because the engine itself is in trouble.
    """
    problems: list[str] = []
    selector = label_filters(labels)
    listings = {
        # The plain listing: containers.list() inspects each container, and the inspect of one the
        # engine is still ending waits on its lock (minutes, with gVisor under load).
        "container": lambda: [item["Id"] for item in client.api.containers(all=True, filters=selector)],
        "network": lambda: client.networks.list(filters=selector),
        "volume": lambda: client.volumes.list(filters=selector),
    }
    for kind, listing in listings.items():
        try:
            found = listing()
        except INTERRUPTS:
            raise
        except Exception as error:
            problems.append(f"listing {kind}s: {error}")
            continue
        for item in found:
            try:
                _remove(client, kind, item)
            except NotFound:
                pass
            except INTERRUPTS:
                raise
            except Exception as error:
                name = item[:12] if isinstance(item, str) else item.name  # containers come as ids
                problems.append(f"{kind} {name}: {error}")
    return problems


def _remove(client: docker.DockerClient, kind: str, item: Any) -> None:
    if kind == "container":
        remove_container(client.api, item)
    elif kind == "volume":
        item.remove(force=True)
    else:
        item.remove()


def remove_container(api: Any, container_id: str, *, within: float = REMOVAL_SECONDS) -> None:
    """Kill, then remove (with its anonymous volumes), trying again until `within` seconds have passed.

    The kill comes first and on its own: a forced removal kills inside the removal, holding the
    container's lock, and every later call about it (an image's removal too) waits behind that.
    Raises what the last try met when the container is still there at the end.
    """
    deadline = time.monotonic() + within
    with contextlib.suppress(APIError, requests.RequestException):
        api.kill(container_id)  # 409 when it is not running; a timeout is retried by the removal below
    while True:
        try:
            api.remove_container(container_id, force=True, v=True)  # v: its anonymous volumes too
            return
        except NotFound:
            return  # gone, by this removal's earlier try or anyone else's
        except (APIError, requests.RequestException):
            if time.monotonic() + REMOVAL_RETRY_INTERVAL >= deadline:
                raise
            time.sleep(REMOVAL_RETRY_INTERVAL)
