"""Reading the JSON API as a client does: each answer checked against the OpenAPI document the site serves."""

from __future__ import annotations

import hashlib
import io
import json
import re
import tarfile
from urllib.parse import urlsplit

from jsonschema import Draft202012Validator

from worker.layers.analysis import analyse_archive


def schema_for(document: dict, path: str, status: int = 200) -> dict:
    """The schema the document gives for a GET of `path` answered with `status`."""
    for template, item in document["paths"].items():
        pattern = "^" + re.sub(r"\\\{\w+\\\}", "[^/]+", re.escape(template)) + "$"
        if re.match(pattern, path):
            return item["get"]["responses"][str(status)]["content"]["application/json"]["schema"]
    raise AssertionError(f"the OpenAPI document describes no path like {path}")


def valid_answer(client, url: str, status: int = 200) -> dict:
    """GET `url`, expect `status`, and check the JSON against the site's own OpenAPI document."""
    response = client.get(url)
    assert response.status_code == status, response.content[:400]
    assert response["Content-Type"] == "application/json"
    document = client.get("/api/v1/openapi.json").json()
    schema = schema_for(document, urlsplit(url).path, status)
    data = response.json()
    errors = sorted(
        Draft202012Validator({**schema, "components": document["components"]}).iter_errors(data),
        key=lambda error: list(error.absolute_path),
    )
    assert not errors, "\n".join(f"{list(e.absolute_path)}: {e.message[:300]}" for e in errors[:5])
    return data


def tar_of(members: list[tuple[str, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def stored_analysis(layers: list[tuple[str, list[tuple[str, bytes]]]], cap: int | None = None) -> dict:
    """What the worker keeps in ImageLayers for an image of these (instruction, files) layers, read from a
    `docker save` archive made here by the engine's own analysis."""
    blobs = [tar_of(members) for _, members in layers]
    config = json.dumps(
        {
            "architecture": "amd64",
            "os": "linux",
            "rootfs": {
                "type": "layers",
                "diff_ids": [f"sha256:{hashlib.sha256(b).hexdigest()}" for b in blobs],
            },
            "history": [{"created_by": f"/bin/sh -c {instruction[4:]}"} for instruction, _ in layers],
        }
    ).encode()
    config_name = f"{hashlib.sha256(config).hexdigest()}.json"
    names = [f"{hashlib.sha256(blob).hexdigest()}/layer.tar" for blob in blobs]
    manifest = [{"Config": config_name, "RepoTags": ["app:1"], "Layers": names}]
    archive = tar_of(
        [
            (config_name, config),
            *zip(names, blobs, strict=True),
            ("manifest.json", json.dumps(manifest).encode()),
        ]
    )
    options = {"cap": cap} if cap else {}
    return json.loads(json.dumps(analyse_archive([archive], **options).to_dict()))
