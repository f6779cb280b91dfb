"""A base's facts as the image on the engine shows them: its config, accounts and files.

The image is never started (a created container is enough to read files), so a stand-in is
judged by what it holds, not by what a shell in it would print.
"""

from __future__ import annotations

from collections.abc import Mapping

import docker

from worker.bases.facts import BaseFacts
from worker.engine.client import engine_errors
from worker.engine.files import created_container, paths_present, read_text


def observed_facts(
    client: docker.DockerClient, ref: str, promised: BaseFacts, labels: Mapping[str, str]
) -> BaseFacts:
    """The facts `promised` names, as the local image `ref` has them; a missing one is left out."""
    with engine_errors():
        config = client.images.get(ref).attrs.get("Config") or {}
    with created_container(client, ref, labels) as container:
        passwd = read_text(client, container, "/etc/passwd")
        group = read_text(client, container, "/etc/group")
        present = paths_present(client, container, promised.files)
    env = dict(item.split("=", 1) for item in config.get("Env") or () if "=" in item)
    users, groups = _accounts(passwd), _accounts(group)
    return BaseFacts(
        env={name: env[name] for name in promised.env if name in env},
        cmd=tuple(config["Cmd"]) if config.get("Cmd") else None,
        entrypoint=tuple(config["Entrypoint"]) if config.get("Entrypoint") else None,
        workdir=config.get("WorkingDir") or "",
        user=config.get("User") or "",
        users=tuple(account for account in promised.users if account in users),
        groups=tuple(account for account in promised.groups if account in groups),
        files=tuple(path for path in promised.files if present[path]),
    )


def _accounts(table: str) -> set[str]:
    """The "name:id" of each line of an /etc/passwd or /etc/group."""
    rows = (line.split(":") for line in table.splitlines() if line.count(":") >= 2)
    return {f"{row[0]}:{row[2]}" for row in rows}
