"""Base images without a registry: reuse the local image, pull it, or build an offline stand-in."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import time
from collections.abc import Mapping
from pathlib import Path

import docker
import requests
from docker.errors import DockerException
from docker.models.images import Image
from docker.utils import parse_repository_tag

from worker.bases.specs import (
    RECIPE_VERSION_LABEL,
    SOURCE_LABEL,
    STAND_IN,
    STAND_IN_VERSION,
    BaseRecord,
    BaseSpec,
    OnEvent,
    local_image,
    origin_of,
)
from worker.bases.stand_ins import build_stand_in

# docker-py's pull() sets no read timeout; a registry that never answers must not stall provisioning.
PULL_READ_TIMEOUT = 30


def provision(
    client: docker.DockerClient,
    spec: BaseSpec,
    *,
    try_pull: bool,
    on_event: OnEvent,
    labels: Mapping[str, str] | None = None,
) -> BaseRecord:
    """Make spec.image exist locally: reuse it, else pull it (if asked), else build the offline stand-in."""
    # labels: extra labels for a stand-in besides catalog.base.*; tests mark what they create with them.
    started = time.monotonic()
    image = local_image(client, spec.image)
    stale = image if image is not None and _stale_stand_in(image) else None
    if stale is not None:
        on_event(f"{spec.image}: a stand-in of an older recipe; building it again")
        image = None
    if image is not None:
        source = "present"
    elif try_pull and (image := _pull(client, spec.image, on_event)) is not None:
        source = "pulled"
    else:
        image = build_stand_in(client, spec, labels or {}, on_event)
        source = STAND_IN
    if stale is not None:
        _forget(client, stale)
    digests = image.attrs.get("RepoDigests") or []
    return BaseRecord(
        image=spec.image,
        image_id=image.id,
        source=source,
        origin=origin_of(image),
        digest=digests[0] if digests else "",
        recipe=spec.recipe,
        size=int(image.attrs.get("Size") or 0),
        duration=round(time.monotonic() - started, 1),
    )


def _stale_stand_in(image: Image) -> bool:
    labels = image.labels or {}
    return labels.get(SOURCE_LABEL) == STAND_IN and labels.get(RECIPE_VERSION_LABEL) != STAND_IN_VERSION


def _forget(client: docker.DockerClient, stale: Image) -> None:
    """Remove the replaced stand-in; one a container still uses stays, untagged, for an operator."""
    with contextlib.suppress(docker.errors.APIError):
        client.images.remove(stale.id, noprune=False)


def record_provisioning(path: Path, specs: list[BaseSpec], records: list[BaseRecord]) -> None:
    """Write what was provisioned to a JSON file, keeping earlier records of bases this run skipped."""
    previous: dict[str, dict] = {}
    if path.is_file():
        try:
            previous = {entry["image"]: entry for entry in json.loads(path.read_text())["bases"]}
        except (ValueError, KeyError, TypeError):
            previous = {}  # an unreadable record is rewritten from this run
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    now = {record.image: {**dataclasses.asdict(record), "recorded_at": stamp} for record in records}
    entries = [now.get(spec.image) or previous.get(spec.image) for spec in specs]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps({"bases": [entry for entry in entries if entry]}, indent=2) + "\n")
    partial.replace(path)  # the site never reads a half-written file


def _pull(client: docker.DockerClient, ref: str, on_event: OnEvent) -> Image | None:
    """The pulled image, or None when the registry fails or is silent for PULL_READ_TIMEOUT seconds."""
    repository, tag = parse_repository_tag(ref)
    on_event(f"pulling {ref}")
    # The client is a requests.Session bound to the engine; posting ourselves gives the read timeout
    # that client.api.pull() (timeout=None) withholds.
    url = f"{client.api.base_url}/v{client.api.api_version}/images/create"
    params = {"fromImage": repository, "tag": tag or "latest"}
    try:
        with client.api.post(url, params=params, stream=True, timeout=PULL_READ_TIMEOUT) as response:
            if response.status_code >= 400:
                raise DockerException(response.json().get("message") or response.reason)
            for line in response.iter_lines():
                event = json.loads(line)
                if "errorDetail" in event or "error" in event:
                    raise DockerException((event.get("errorDetail") or {}).get("message") or event["error"])
                if event.get("status") and "progressDetail" not in event:
                    on_event(f"pull: {event.get('id', '')} {event['status']}".replace("  ", " "))
        return client.images.get(ref)
    except (DockerException, requests.RequestException, ValueError) as error:
        on_event(f"pull failed ({' '.join(str(error).split())}); building the offline stand-in")
        return None
