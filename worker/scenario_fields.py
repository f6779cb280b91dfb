"""The vocabulary of example.yaml: each step action, its parameters and the expectations it accepts.

Kept as a table so the schema, its documentation and the runner read one source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from worker.quantities import parse_duration, parse_size

if TYPE_CHECKING:
    from worker.scenario import _Parser

HOST_ACCESS = {"docker-socket", "host-pid", "host-network"}
HEALTH_STATES = {"healthy", "unhealthy", "starting"}
_MISSING = object()


class Checker:
    """Checks one value of a given kind and reports problems against its field path."""

    def __init__(self, parser: _Parser, path: str):
        self.parser = parser
        self.path = path

    def fail(self, message: str) -> None:
        self.parser.error(self.path, message)

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
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return self.fail("expected a whole number")

    def number(self, value):
        if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
            return float(value)
        return self.fail("expected a positive number")

    def duration(self, value):
        try:
            return parse_duration(value)
        except ValueError as error:
            return self.fail(str(error))

    def size(self, value):
        try:
            return parse_size(value)
        except ValueError as error:
            return self.fail(str(error))

    def regex(self, value):
        try:
            re.compile(value)
        except (re.error, TypeError) as error:
            return self.fail(f"expected a regular expression: {error}")
        return value

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
        if value in HEALTH_STATES:
            return value
        return self.fail(f"expected one of {', '.join(sorted(HEALTH_STATES))}")

    def image(self, value):
        if value in self.parser.images:
            return value
        return self.fail(f"{value!r} is not one of the images the example declares")

    def new_container(self, value):
        if not self.parser.name(value, self.path):
            return None
        if value in self.parser.containers:
            return self.fail(f"a container named {value!r} was already started by a step")
        return value

    def container(self, value):
        if value in self.parser.containers:
            return value
        return self.fail(f"{value!r} is not a container started by an earlier step")

    def containers(self, value):
        values = [value] if isinstance(value, str) else value
        if isinstance(values, list) and all(v in self.parser.containers for v in values):
            return values
        return self.fail("expected containers started by earlier steps")

    def volume(self, value):
        if value in self.parser.volumes:
            return value
        return self.fail(f"{value!r} is not declared under 'volumes'")

    def file(self, value):
        if value in self.parser.files:
            return value
        return self.fail(f"names {value!r}, which is not in the example")

    def mounts(self, value):
        if not isinstance(value, dict) or not value:
            return self.fail("expected a mapping of volume names to absolute paths")
        for volume, target in value.items():
            if volume not in self.parser.volumes:
                return self.fail(f"{volume!r} is not declared under 'volumes'")
            if not isinstance(target, str) or not target.startswith("/"):
                return self.fail(f"the mount point of {volume!r} must be an absolute path")
        return value

    def network(self, value):
        if value == "none" or value in self.parser.networks:
            return value
        return self.namespace(value)

    def host_access(self, value):
        # What one run step uses of the host; the scenario must also declare it in host_access.
        values = [value] if isinstance(value, str) else value
        if isinstance(values, list) and values and all(v in HOST_ACCESS for v in values):
            return values
        return self.fail(f"expected a list among {', '.join(sorted(HOST_ACCESS))}")

    def namespace(self, value):
        joined = isinstance(value, str) and value.startswith("container:")
        if joined and value.removeprefix("container:") in self.parser.containers:
            return value
        return self.fail("expected 'container:<name>' of a container an earlier step started")


@dataclass(frozen=True)
class Fields:
    """Named fields, each with a kind (a Checker method) and whether it is required."""

    kinds: dict[str, str]
    required: frozenset[str] = frozenset()

    def check(self, parser: _Parser, raw: object, path: str) -> dict | None:
        raw = {} if raw is None else raw
        if not isinstance(raw, dict):
            parser.error(path, "expected a mapping")
            return None
        clean, errors_before = {}, len(parser.errors)
        for key in sorted(set(raw) - set(self.kinds)):
            allowed = ", ".join(sorted(self.kinds)) or "nothing"
            parser.error(f"{path}.{key}", f"unknown field here; allowed: {allowed}")
        for key in sorted(self.required - set(raw)):
            parser.error(f"{path}.{key}", "required")
        for key, kind in self.kinds.items():
            value = raw.get(key, _MISSING)
            if value is not _MISSING:
                clean[key] = Checker(parser, f"{path}.{key}").check(kind, value)
        return clean if len(parser.errors) == errors_before else None


@dataclass(frozen=True)
class Action:
    name: str
    params: Fields
    expect: Fields
    shorthand: str | None = None  # `- build: web` stands for `- build: {image: web}`

    def check_params(self, parser: _Parser, raw: object, path: str) -> dict | None:
        if self.shorthand and isinstance(raw, str):
            raw = {self.shorthand: raw}
        params = self.params.check(parser, raw, path)
        if params and self.name == "run":
            if params.get("detach") and "name" not in params:
                parser.error(f"{path}.name", "a detached container needs a name to refer to")
            if "name" in params:
                parser.containers.add(params["name"])
        return params

    def check_expect(self, parser: _Parser, raw: object, path: str) -> dict | None:
        return self.expect.check(parser, raw, path)


OUTPUT = {
    "output_contains": "texts",
    "output_not_contains": "texts",
    "output_matches": "regex",
}
BUILD_EXPECT = {
    "succeeds": "boolean",
    "cache_hit": "texts",
    "cache_miss": "texts",
    "duration_max": "duration",
    **OUTPUT,
}
RUN_PARAMS = {
    "image": "image",
    "name": "new_container",
    "command": "command",
    "entrypoint": "command",
    "environment": "mapping",
    "detach": "boolean",
    "init": "boolean",
    "user": "text",
    "network": "network",
    "pid": "namespace",
    "ipc": "namespace",
    "volumes_from": "containers",
    "mounts": "mounts",
    "read_only": "boolean",
    "tmpfs": "abs_paths",
    "mem_limit": "size",
    "timeout": "duration",
    "host_access": "host_access",
}
EXIT_EXPECT = {
    "exit_code": "integer",
    "duration_max": "duration",
    "duration_min": "duration",
    "oom_killed": "boolean",
    **OUTPUT,
}
IMAGE_EXPECT = {
    "size_max": "size",
    "size_min": "size",
    "layers": "integer",
    "layers_max": "integer",
    "layers_min": "integer",
    "labels": "mapping",
    "exposed_ports": "ports",
    "volumes": "abs_paths",
    "user": "text",
    "entrypoint": "command",
    "cmd": "command",
    "files_present": "abs_paths",
    "files_absent": "abs_paths",
    "onbuild": "texts",
    "healthcheck": "boolean",
}


def _action(name, params, required=(), expect=None, shorthand=None):
    return Action(
        name=name,
        params=Fields(params, frozenset(required)),
        expect=Fields(expect or {}),
        shorthand=shorthand,
    )


ACTIONS = {
    action.name: action
    for action in (
        _action("build", {"image": "image"}, ["image"], BUILD_EXPECT, shorthand="image"),
        _action("rebuild", {"image": "image", "touch": "file"}, ["image", "touch"], BUILD_EXPECT),
        _action("run", RUN_PARAMS, ["image"], EXIT_EXPECT),
        _action(
            "exec",
            {
                "container": "container",
                "command": "command",
                "user": "text",
                "timeout": "duration",
                "retry_for": "duration",
            },
            ["container", "command"],
            {"exit_code": "integer", "duration_max": "duration", **OUTPUT},
        ),
        _action(
            "probe",
            {
                "container": "container",
                "port": "integer",
                "path": "text",
                "timeout": "duration",
                "retry_for": "duration",
            },
            ["container", "port"],
            {
                "status": "integer",
                "body_contains": "texts",
                "body_not_contains": "texts",
                "body_matches": "regex",
                "duration_max": "duration",
            },
        ),
        _action(
            "write",
            {"volume": "volume", "path": "text", "content": "text"},
            ["volume", "path", "content"],
        ),
        _action(
            "stop",
            {"container": "container", "timeout": "duration"},
            ["container"],
            {
                "stopped_within": "duration",
                "stopped_after": "duration",
                "exit_code": "integer",
                **OUTPUT,
            },
            shorthand="container",
        ),
        _action(
            "wait",
            {"container": "container", "timeout": "duration"},
            ["container"],
            EXIT_EXPECT,
            shorthand="container",
        ),
        _action(
            "logs",
            {"container": "container", "retry_for": "duration"},
            ["container"],
            OUTPUT,
            shorthand="container",
        ),
        _action(
            "processes",
            {"container": "container"},
            ["container"],
            {**OUTPUT, "count_max": "integer", "count_min": "integer"},
            shorthand="container",
        ),
        _action(
            "health",
            {"container": "container", "timeout": "duration"},
            ["container"],
            {"health": "health"},
            shorthand="container",
        ),
        _action("image", {"image": "image"}, ["image"], IMAGE_EXPECT, shorthand="image"),
    )
}

COMPARE_EXPECT = Fields(
    {
        "size_ratio_max": "number",
        "size_ratio_min": "number",
        "smaller": "boolean",
        "fewer_layers": "boolean",
        "same_id": "boolean",
    }
)
