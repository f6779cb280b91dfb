"""A base's facts as the image on the engine shows them: its config, accounts and files.

The image is never started (a created container is enough to read files), so a stand-in is
judged by what it holds, not by what a shell in it would print.
"""

from __future__ import annotations

import io
import tarfile
from collections.abc import Mapping

import docker

from worker.bases.facts import BaseFacts
from worker.engine.client import engine_errors

NEVER_STARTED = ["/nonexistent-never-started"]


def observed_facts(
    client: docker.DockerClient, ref: str, promised: BaseFacts, labels: Mapping[str, str]
) -> BaseFacts:
    """The facts `promised` names, as the local image `ref` has them; a missing one is left out."""
    with engine_errors():
        config = client.images.get(ref).attrs.get("Config") or {}
        container = client.api.create_container(
            ref, command=NEVER_STARTED, labels=dict(labels), network_disabled=True
        )["Id"]
        try:
            passwd = _read_file(client, container, "/etc/passwd")
            group = _read_file(client, container, "/etc/group")
            files = tuple(path for path in promised.files if _exists(client, container, path))
        finally:
            client.api.remove_container(container, force=True, v=True)
    env = dict(item.split("=", 1) for item in config.get("Env") or () if "=" in item)
    return BaseFacts(
        env={name: env[name] for name in promised.env if name in env},
        cmd=tuple(config["Cmd"]) if config.get("Cmd") else None,
        entrypoint=tuple(config["Entrypoint"]) if config.get("Entrypoint") else None,
        workdir=config.get("WorkingDir") or "",
        user=config.get("User") or "",
        users=tuple(account for account in promised.users if account in _accounts(passwd)),
        groups=tuple(account for account in promised.groups if account in _accounts(group)),
        files=files,
    )


def _accounts(table: str) -> set[str]:
    """ "name:id" of each line of an /etc/passwd or /etc/group."""
    rows = (line.split(":") for line in table.splitlines() if line.count(":") >= 2)
    return {f"{row[0]}:{row[2]}" for row in rows}


def _read_file(client: docker.DockerClient, container: str, path: str) -> str:
    try:
        stream, _ = client.api.get_archive(container, path)
    except docker.errors.NotFound:
        return ""
    with tarfile.open(fileobj=io.BytesIO(b"".join(stream))) as archive:
        member = archive.next()
        data = archive.extractfile(member) if member is not None and member.isfile() else None
        return data.read().decode(errors="replace") if data else ""


def _exists(client: docker.DockerClient, container: str, path: str) -> bool:
    api = client.api
    # HEAD only stats the path (following a symlink's parents, not the link itself).
    response = api.head(api._url("/containers/{0}/archive", container), params={"path": path})
    if response.status_code not in (200, 404):
        api._raise_for_status(response)
    return response.status_code == 200
