"""What patterns/bases.yaml asks for and what provisioning did: specs, records, labels, errors."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path

import docker
import yaml
from docker.errors import ImageNotFound
from docker.models.images import Image

SOURCE_LABEL = "catalog.base.source"
RECIPE_LABEL = "catalog.base.recipe"
IMAGE_LABEL = "catalog.base.image"
STAND_IN = "stand-in"

OnEvent = Callable[[str], None]


class ProvisionError(Exception):
    """A base image could not be provided: which one, the command that failed and its last output lines."""

    def __init__(self, image: str, message: str, command: str = "", output: Iterable[str] = ()) -> None:
        self.image, self.command, self.output = image, command, [line for line in output if line.strip()]
        text = f"{image}: {message}" + (f"\n  command: {command}" if command else "")
        if self.output:
            text += "\n  last output:\n" + "\n".join(f"    {line}" for line in self.output)
        super().__init__(text)


@dataclasses.dataclass(frozen=True)
class BaseSpec:
    """One entry of patterns/bases.yaml."""

    image: str
    purpose: str
    recipe: str
    suite: str = ""
    variant: str = ""
    packages: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class BaseRecord:
    """What provisioning did for one base (source) and what the image it left is (origin)."""

    image: str
    image_id: str
    source: str  # this run: "present" | "pulled" | "stand-in"
    origin: str  # the image: "pulled" | "stand-in" | "local" (made some other way, e.g. by hand)
    digest: str  # a RepoDigest when the image came from a registry
    recipe: str
    size: int
    duration: float


def read_bases(path: Path) -> list[BaseSpec]:
    """The bases a bases.yaml lists, in order; ValueError if it is not even shaped like one.

    catalog.content.bases validates the file in full (`manage.py sync_patterns` reports every problem).
    """
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        specs = []
        for entry in data.get("bases") or []:
            offline = entry.get("offline") or {}
            specs.append(
                BaseSpec(
                    image=str(entry["image"]),
                    purpose=str(entry.get("purpose", "")),
                    recipe=str(offline.get("recipe", "")),
                    suite=str(offline.get("suite", "")),
                    variant=str(offline.get("variant", "")),
                    packages=tuple(str(package) for package in offline.get("packages") or ()),
                )
            )
    except (yaml.YAMLError, AttributeError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: not a list of {{image, purpose, offline}} ({error!r})") from error
    return specs


def local_image(client: docker.DockerClient, ref: str) -> Image | None:
    try:
        return client.images.get(ref)
    except ImageNotFound:
        return None
