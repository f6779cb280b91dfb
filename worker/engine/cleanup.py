"""Remove a run's containers, networks and volumes by its label: a scenario's and its commands' alike."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import docker
from docker.errors import NotFound

from worker.engine.client import label_filters
from worker.engine.interrupts import INTERRUPTS


def remove_labelled(client: docker.DockerClient, labels: Mapping[str, str]) -> list[str]:
    """Containers (with their anonymous volumes) first, since they hold networks and volumes.

    Images are the caller's (worker/images/builder.py). Returns what could not be removed and
    never raises: it runs in a `finally`, often because the engine itself is in trouble.
    """
    problems: list[str] = []
    selector = label_filters(labels)
    listings = {
        "container": lambda: client.containers.list(all=True, filters=selector),
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
                _remove(kind, item)
            except NotFound:
                pass
            except INTERRUPTS:
                raise
            except Exception as error:
                problems.append(f"{kind} {getattr(item, 'name', item)}: {error}")
    return problems


def _remove(kind: str, item: Any) -> None:
    if kind == "container":
        item.remove(force=True, v=True)  # v: anonymous volumes go with it
    elif kind == "volume":
        item.remove(force=True)
    else:
        item.remove()
