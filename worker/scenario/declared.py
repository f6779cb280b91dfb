"""What an example.yaml has declared so far, and the problems found: what every field check reads."""

from __future__ import annotations

import re
from collections.abc import Mapping

from worker.scenario.model import ScenarioError

NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")


class Declared:
    """The example's files and the names declared so far; a step may only refer to what came before it."""

    def __init__(self, files: Mapping[str, str]):
        self.files = files  # path -> text: a Compose file is read while the steps are checked
        self.errors: list[ScenarioError] = []
        self.images: set[str] = set()
        self.image_builds: dict[tuple[str, str | None], str] = {}  # (Dockerfile, stage) -> image name
        self.volumes: set[str] = set()
        self.networks: set[str] = set()
        self.containers: set[str] = set()

    def error(self, path: str, message: str) -> None:
        self.errors.append(ScenarioError(path, message))

    def name(self, value: object, path: str) -> bool:
        if not isinstance(value, str) or not NAME.match(value):
            self.error(path, "expected a name of lower-case letters, digits, '-' or '_'")
            return False
        return True
