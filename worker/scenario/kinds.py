"""The kinds of value example.yaml fields hold: each a Checker method that checks and normalises one value.

A field names its kind ("duration", "container"...); the kinds that refer to names
(images, volumes, containers) read what the file declared before the field.
"""

from __future__ import annotations

import math
import re
from collections.abc import Collection
from typing import Any

from worker.compose_file import read_compose
from worker.contract.quantities import parse_duration, parse_size
from worker.expressions import expression_problem
from worker.scenario.declared import Declared
from worker.scenario.model import TIMEOUT_MAX
from worker.yaml_text import parse_yaml

HOST_ACCESS = {"docker-socket", "host-pid", "host-network"}
HEALTH_STATES = {"healthy", "unhealthy", "starting"}
INTEGER_MAX = 2**63 - 1  # the engine's API counts in int64; ports, codes and counts are far below


def among(value: object, names: Collection[str]) -> bool:
    """Whether value is one of names; a list or a mapping written where a name belongs is not."""
    return isinstance(value, str) and value in names


class Checker:
    """Checks one value of a given kind and reports problems against its field path."""

    def __init__(self, declared: Declared, path: str):
        self.declared = declared
        self.path = path

    def fail(self, message: str) -> None:
        self.declared.error(self.path, message)

    def check(self, kind: str, value: Any) -> Any:
        return getattr(self, kind)(value)

    def text(self, value):
        if isinstance(value, str | int | float) and not isinstance(value, bool):
            return str(value)
        return self.fail("expected text")

    def texts(self, value):
        values = [value] if isinstance(value, str) else value
        if isinstance(values, list) and values and all(isinstance(v, str) for v in values):
            return values
        return self.fail("expected text or a list of texts")

    def boolean(self, value):
        if isinstance(value, bool):
            return value
        return self.fail("expected true or false")

    def integer(self, value):
        if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= INTEGER_MAX:
            return value
        return self.fail("expected a whole number, 0 or more")

    def number(self, value):
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 < value < math.inf:
            return float(value)
        return self.fail("expected a positive number")

    def duration(self, value):
        # Taken as written no more: .inf, .nan and 1e308 are numbers to YAML and endless waits to a run.
        try:
            seconds = parse_duration(value)
        except (ValueError, OverflowError) as error:
            return self.fail(str(error))
        if not 0 <= seconds <= TIMEOUT_MAX:  # False for NaN too
            return self.fail(f"expected a duration of at most {TIMEOUT_MAX / 60:.0f}m, got {value!r}")
        return seconds

    def size(self, value):
        try:
            size = parse_size(value)
        except (ValueError, OverflowError) as error:
            return self.fail(str(error))
        if size > INTEGER_MAX:
            return self.fail(f"{value!r} is larger than the engine can count")
        return size

    def regex(self, value):
        problem = expression_problem(value)
        return self.fail(problem) if problem else value

    def command(self, value):
        if isinstance(value, str) and value.strip():
            return value
        if isinstance(value, list) and value and all(isinstance(v, str) for v in value):
            return value
        return self.fail("expected a command as text or as a list of arguments")

    def mapping(self, value):
        if isinstance(value, dict) and all(
            isinstance(k, str) and isinstance(v, str | int | float) and not isinstance(v, bool)
            for k, v in value.items()
        ):
            return {k: str(v) for k, v in value.items()}
        return self.fail("expected a mapping of names to values")

    def abs_paths(self, value):
        values = [value] if isinstance(value, str) else value
        if (
            isinstance(values, list)
            and values
            and all(isinstance(v, str) and v.startswith("/") for v in values)
        ):
            return values
        return self.fail("expected absolute paths such as /usr/share/nginx/html")

    def ports(self, value):
        if not isinstance(value, list) or not value:
            return self.fail("expected a list of ports such as 80 or '53/udp'")
        ports = []
        for port in value:
            text = str(port)
            if not re.fullmatch(r"\d{1,5}(/(tcp|udp|sctp))?", text):
                return self.fail(f"{text!r} is not a port such as 80 or '53/udp'")
            ports.append(text if "/" in text else f"{text}/tcp")
        return ports

    def health(self, value):
        if among(value, HEALTH_STATES):
            return value
        return self.fail(f"expected one of {', '.join(sorted(HEALTH_STATES))}")

    def image(self, value):
        if among(value, self.declared.images):
            return value
        return self.fail(f"{value!r} is not one of the images the example declares")

    def new_container(self, value):
        if not self.declared.name(value, self.path):
            return None
        if value in self.declared.containers:
            return self.fail(f"a container named {value!r} was already started by a step")
        return value

    def container(self, value):
        if among(value, self.declared.containers):
            return value
        return self.fail(f"{value!r} is not a container started by an earlier step")

    def containers(self, value):
        values = [value] if isinstance(value, str) else value
        if isinstance(values, list) and all(among(v, self.declared.containers) for v in values):
            return values
        return self.fail("expected containers started by earlier steps")

    def volume(self, value):
        if among(value, self.declared.volumes):
            return value
        return self.fail(f"{value!r} is not declared under 'volumes'")

    def file(self, value):
        if among(value, self.declared.files):
            return value
        return self.fail(f"names {value!r}, which is not in the example")

    def compose_file(self, value):
        """A Compose file of the example, read into the project a compose step starts (compose_file.py)."""
        if self.file(value) is None:
            return None
        # Read as every YAML file we are given is (worker/yaml_text.py) before Compose's reader sees it.
        _, problem = parse_yaml(self.declared.files[value])
        if problem:
            return self.fail(f"{value}, {problem}")
        project, problems = read_compose(value, self.declared.files[value], self.declared.image_builds)
        for problem in problems:
            self.fail(f"{value}, {problem}")
        # Each service starts a container that later steps name, like a run step's `name`.
        if project is None or any(self.new_container(service.name) is None for service in project.services):
            return None
        self.declared.containers.update(service.name for service in project.services)
        self.declared.networks.update(project.networks)
        return project.to_dict()

    def mounts(self, value):
        if not isinstance(value, dict) or not value:
            return self.fail("expected a mapping of volume names to absolute paths")
        for volume, target in value.items():
            if not among(volume, self.declared.volumes):
                return self.fail(f"{volume!r} is not declared under 'volumes'")
            if not isinstance(target, str) or not target.startswith("/"):
                return self.fail(f"the mount point of {volume!r} must be an absolute path")
        return value

    def network(self, value):
        if value == "none" or among(value, self.declared.networks):
            return value
        return self.namespace(value)

    def host_access(self, value):
        # What one run step uses of the host; the scenario must also declare it in host_access.
        values = [value] if isinstance(value, str) else value
        if isinstance(values, list) and values and all(among(v, HOST_ACCESS) for v in values):
            return values
        return self.fail(f"expected a list among {', '.join(sorted(HOST_ACCESS))}")

    def namespace(self, value):
        joined = isinstance(value, str) and value.startswith("container:")
        if joined and value.removeprefix("container:") in self.declared.containers:
            return value
        return self.fail("expected 'container:<name>' of a container an earlier step started")


# The kinds a field may name: every public method of Checker but its two entry points.
KINDS = frozenset(
    name for name, value in vars(Checker).items() if callable(value) and not name.startswith("_")
) - {"fail", "check"}
