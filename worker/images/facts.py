"""Facts about a built image: size, layers, history oldest first, and its bytes split into base and own."""

from __future__ import annotations

import re

import docker
from docker.errors import ImageNotFound

from worker.contract.results import HistoryRow, ImageFacts
from worker.engine.client import engine_errors

_NOP = "#(nop)"
_SHELL = "/bin/sh -c "
_BUILD_ARGS = re.compile(r"^\|(\d+) ")


def clean_instruction(created_by: str) -> str:
    """A history row's CreatedBy as the Dockerfile line it came from.

    Classic rows read `/bin/sh -c #(nop)  CMD ["sh"]` for metadata and COPY/ADD,
    `/bin/sh -c <command>` for shell-form RUN and the bare argv for exec-form RUN;
    build arguments add a `|N K=V ... ` prefix. BuildKit rows are already clean.
    """
    text = created_by.strip()
    prefix = _BUILD_ARGS.match(text)
    if prefix:
        # "|2 A=1 B=2 /bin/sh -c make": skip the count and that many K=V words.
        text = text[prefix.end() :].split(" ", int(prefix.group(1)))[-1]
    if text.endswith("# buildkit"):
        text = text.removesuffix("# buildkit").strip()
        return "RUN " + text[len("RUN " + _SHELL) :] if text.startswith("RUN " + _SHELL) else text
    if _NOP in text:
        return text.split(_NOP, 1)[1].strip()
    if not text:
        return ""
    return "RUN " + text.removeprefix(_SHELL)


def history_rows(client: docker.DockerClient, image: str) -> list[dict]:
    """The engine's history rows, oldest first (the engine answers newest first)."""
    with engine_errors():
        return list(reversed(client.api.history(image)))


def collect_image_facts(
    client: docker.DockerClient, name: str, image_id: str, *, tag: str = "", base_ref: str = ""
) -> ImageFacts:
    """Inspect a built image; `base_ref` is what the final stage's FROM names ("scratch" for none).

    The split needs no layer mapping: when the base's layer DiffIDs are a prefix of
    the image's and its history rows open the image's history, the first
    len(base history) rows are the base's, whatever their sizes. Rows of size 0 are
    ambiguous (metadata, or a layer of whiteouts only), so counting rows is safer
    than counting layers.
    """
    with engine_errors():
        attrs = client.api.inspect_image(image_id)
    rows = history_rows(client, image_id)
    layers = list((attrs.get("RootFS") or {}).get("Layers") or [])
    base_id, base_rows, matched = "", 0, base_ref == "scratch"
    if base_ref and base_ref != "scratch":
        try:
            with engine_errors():
                base = client.api.inspect_image(base_ref)
            base_history = history_rows(client, base_ref)
        except ImageNotFound:
            base, base_history = None, []
        if base is not None:
            base_id = str(base.get("Id", ""))
            base_layers = list((base.get("RootFS") or {}).get("Layers") or [])
            same_rows = [row.get("CreatedBy") for row in rows[: len(base_history)]] == [
                row.get("CreatedBy") for row in base_history
            ]
            matched = layers[: len(base_layers)] == base_layers and same_rows
            base_rows = len(base_history) if matched else 0
    history = tuple(
        HistoryRow(
            created_by=str(row.get("CreatedBy") or ""),
            instruction=clean_instruction(str(row.get("CreatedBy") or "")),
            size=int(row.get("Size") or 0),
            created=int(row.get("Created") or 0),
            comment=str(row.get("Comment") or ""),
            base=position < base_rows,
        )
        for position, row in enumerate(rows)
    )
    config = attrs.get("Config") or {}
    healthcheck = (config.get("Healthcheck") or {}).get("Test")
    return ImageFacts(
        name=name,
        id=str(attrs.get("Id", image_id)),
        tag=tag,
        size=int(attrs.get("Size") or 0),
        layers=len(layers),
        history=history,
        base_ref=base_ref,
        base_id=base_id,
        base_size=sum(row.size for row in history if row.base),
        own_size=sum(row.size for row in history if not row.base),
        base_matched=matched,
        labels=dict(config.get("Labels") or {}),
        exposed_ports=tuple(sorted(config.get("ExposedPorts") or {})),
        volumes=tuple(sorted(config.get("Volumes") or {})),
        user=str(config.get("User") or ""),
        entrypoint=tuple(config["Entrypoint"]) if config.get("Entrypoint") else None,
        cmd=tuple(config["Cmd"]) if config.get("Cmd") else None,
        workdir=str(config.get("WorkingDir") or ""),
        onbuild=tuple(config.get("OnBuild") or ()),
        healthcheck=tuple(healthcheck) if healthcheck and healthcheck != ["NONE"] else None,
        created=str(attrs.get("Created", "")),
    )
