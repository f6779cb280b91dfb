"""What a result depends on beyond the example's files: base image IDs, the engine, the runner."""

import dataclasses
import hashlib
import json
from pathlib import Path

import docker
from docker.errors import ImageNotFound

from worker.bases.downloads import measured_or_none
from worker.bases.specs import RECIPE_LABEL, origin_of
from worker.images.build_context import parse_dockerfile
from worker.scenario import Scenario

# Bump when the runner or the sandbox policy changes what a verification means.
RUNNER_VERSION = "2"  # 2: the page's commands are run too


def base_refs(scenario: Scenario, files: dict[str, tuple[bytes, bool]]) -> list[str]:
    """The external images the example's builds read (FROM and COPY --from; stages and scratch left out)."""
    refs: list[str] = []
    for image in scenario.images:
        dockerfile = parse_dockerfile(files[image.dockerfile][0].decode(errors="replace"))
        refs += [ref for ref in dockerfile.external_refs(image.build_args) if ref not in refs]
    return refs


def environment_fingerprint(
    client: docker.DockerClient, scenario: Scenario, files: dict[str, tuple[bytes, bool]]
) -> tuple[str, dict]:
    """A hash of everything outside the example that its result depends on, and the facts behind it."""
    version = client.version()
    bases = []
    for ref in base_refs(scenario, files):
        try:
            image = client.images.get(ref)
        except ImageNotFound:
            bases.append({"ref": ref, "id": None, "source": "missing"})
            continue
        bases.append(
            {
                "ref": ref,
                "id": image.id,
                "source": origin_of(image),
                "recipe": (image.labels or {}).get(RECIPE_LABEL, ""),
                "digests": image.attrs.get("RepoDigests") or [],
            }
        )
    facts = {
        "engine_version": version.get("Version"),
        "api_version": version.get("ApiVersion"),
        "os": version.get("Os"),
        "arch": version.get("Arch"),
        "runner_version": RUNNER_VERSION,
        "bases": bases,
    }
    key = {k: facts[k] for k in ("engine_version", "arch", "runner_version")}
    key["bases"] = [(base["ref"], base["id"]) for base in bases]
    digest = hashlib.sha256(json.dumps(key, sort_keys=True).encode()).hexdigest()
    return digest, facts


def with_download_sizes(client: docker.DockerClient, environment: dict, cache_dir: Path | None) -> dict:
    """The environment's facts with each present base's layers and their pull sizes added.

    Measured for a finished result only (the fingerprint is also read to decide staleness,
    where the sizes are not needed), and kept per image ID, so a base is measured once.
    """
    bases = []
    for base in environment["bases"]:
        layers = measured_or_none(client, base["id"], cache_dir) if base["id"] else ()
        bases.append({**base, "layers": [dataclasses.asdict(layer) for layer in layers]})
    return {**environment, "bases": bases}
