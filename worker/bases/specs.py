"""What patterns/bases.yaml asks for and what provisioning did: specs, records, labels, errors.

This module is the one reader of bases.yaml: the content loader, the provisioner, the
engine check and the sandbox policy all take its answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from pathlib import Path

import docker
from docker.errors import ImageNotFound
from docker.models.images import Image

from worker.bases.facts import BaseFacts, read_facts
from worker.yaml_text import parse_yaml

BASES_FILE = Path(__file__).resolve().parents[2] / "patterns" / "bases.yaml"
RECIPES = {"busybox-static", "debootstrap"}
MOST_BASES = 5
SHAPE = "expected a list of {image, purpose, offline}"
PINNED = "expected an image pinned by tag, not latest"
A_RECIPE = f"expected one of {', '.join(sorted(RECIPES))}"

SOURCE_LABEL = "catalog.base.source"
RECIPE_LABEL = "catalog.base.recipe"
IMAGE_LABEL = "catalog.base.image"
RECIPE_VERSION_LABEL = "catalog.base.recipe-version"
STAND_IN = "stand-in"
# Raised whenever the recipes change what a stand-in holds: provisioning rebuilds older stand-ins.
# 2: busybox in one layer with the official image's accounts; python and go at their /usr/local paths.
STAND_IN_VERSION = "2"


def origin_of(image: Image) -> str:
    """Where an image came from: its provisioning label, else pulled (it has a digest) or local."""
    return (image.labels or {}).get(SOURCE_LABEL) or ("pulled" if image.attrs.get("RepoDigests") else "local")


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
    facts: BaseFacts | None = None  # None: the entry records none
    differs: str = ""  # what the offline stand-in is known to differ in from the published image


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


@dataclasses.dataclass(frozen=True)
class BasesProblem:
    field: str  # "" for the file as a whole, else a path such as "bases[2].offline.recipe"
    message: str
    unreadable: bool = False  # not even the images can be read (the others only sync_patterns refuses)

    def __str__(self) -> str:
        return f"{self.field}: {self.message}" if self.field else self.message


@dataclasses.dataclass(frozen=True)
class BasesFile:
    """A bases.yaml as read: the entries the worker can use and every rule the file breaks."""

    specs: tuple[BaseSpec, ...]
    problems: tuple[BasesProblem, ...]

    @property
    def pinned_images(self) -> list[str]:
        """The images examples may build FROM: those pinned by a tag other than latest."""
        return [spec.image for spec in self.specs if _pinned(spec.image)]


def read_bases_file(path: Path) -> BasesFile:
    """Every entry of a bases.yaml that names an image, in order, and every problem, naming its field."""
    path = Path(path)
    if not path.is_file():
        return BasesFile((), (BasesProblem("", "missing: list the base images examples may use", True),))
    data, problem = parse_yaml(path.read_text(encoding="utf-8"))
    if problem:
        return BasesFile((), (BasesProblem("", problem, True),))
    entries = data.get("bases") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        # The worker reads an empty file, or one without bases, as no bases at all.
        unreadable = bool(entries) or (bool(data) and not isinstance(data, dict))
        return BasesFile((), (BasesProblem("bases", SHAPE, unreadable),))
    problems = []
    if len(entries) > MOST_BASES:
        problems.append(BasesProblem("bases", f"keep the set small: at most {MOST_BASES} bases"))
    specs: list[BaseSpec] = []
    for index, entry in enumerate(entries):
        spec, entry_problems = _entry(entry, f"bases[{index}]", specs)
        if spec:
            specs.append(spec)
        problems += entry_problems
    return BasesFile(tuple(specs), tuple(problems))


def _entry(entry: object, field: str, earlier: list[BaseSpec]) -> tuple[BaseSpec | None, list[BasesProblem]]:
    image = entry.get("image") if isinstance(entry, dict) else None
    if image is None:
        return None, [BasesProblem(f"{field}.image", PINNED, True)]
    spec, unreadable = _spec(entry, image, field)
    if not isinstance(image, str) or not _pinned(image):
        return spec, [BasesProblem(f"{field}.image", PINNED, spec is None)]
    if unreadable:
        return None, [unreadable]
    problems = []
    if spec.recipe not in RECIPES:
        problems.append(BasesProblem(f"{field}.offline.recipe", A_RECIPE))
    if image in [other.image for other in earlier if _pinned(other.image)]:
        problems.append(BasesProblem(f"{field}.image", f"{image} is listed twice"))
    return spec, problems


def _spec(entry: dict, image: object, field: str) -> tuple[BaseSpec | None, BasesProblem | None]:
    offline = entry.get("offline") or {}
    if not isinstance(offline, dict):
        return None, BasesProblem(f"{field}.offline.recipe", A_RECIPE, True)
    try:
        packages = tuple(str(package) for package in offline.get("packages") or ())
    except TypeError:
        return None, BasesProblem(f"{field}.offline.packages", "expected a list of package names", True)
    facts, problem = read_facts(entry.get("facts"), f"{field}.facts")
    if problem:
        return None, BasesProblem(*problem, unreadable=True)
    spec = BaseSpec(
        image=str(image),
        purpose=str(entry.get("purpose", "")),
        recipe=str(offline.get("recipe", "")),
        suite=str(offline.get("suite", "")),
        variant=str(offline.get("variant", "")),
        packages=packages,
        facts=facts,
        differs=" ".join(str(offline.get("differs", "")).split()),
    )
    return spec, None


def _pinned(image: str) -> bool:
    return ":" in image and not image.endswith(":latest")


def read_bases(path: Path = BASES_FILE) -> list[BaseSpec]:
    """The bases a bases.yaml lists, in order; ValueError if not even their images can be read.

    Only `manage.py sync_patterns` refuses a file for the other problems (pins, recipes, duplicates).
    """
    listing = read_bases_file(path)
    unreadable = [problem for problem in listing.problems if problem.unreadable]
    if unreadable:
        raise ValueError(f"{path}: {unreadable[0]}")
    return list(listing.specs)


def load_allowed_bases(path: Path = BASES_FILE) -> frozenset[str]:
    """The base images bases.yaml lists: the only FROM an untrusted Dockerfile may name."""
    return frozenset(spec.image for spec in read_bases(path))


def local_image(client: docker.DockerClient, ref: str) -> Image | None:
    try:
        return client.images.get(ref)
    except ImageNotFound:
        return None
