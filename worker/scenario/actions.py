"""The step actions of example.yaml: each action's parameters and the expectations it accepts."""

from __future__ import annotations

from dataclasses import dataclass

from worker.scenario.declared import Declared
from worker.scenario.fields import Fields


@dataclass(frozen=True)
class Action:
    name: str
    params: Fields
    expect: Fields
    shorthand: str | None = None  # `- build: web` stands for `- build: {image: web}`

    def check_params(self, declared: Declared, raw: object, path: str) -> dict | None:
        if self.shorthand and isinstance(raw, str):
            raw = {self.shorthand: raw}
        params = self.params.check(declared, raw, path)
        if params and self.name == "run":
            if params.get("detach") and "name" not in params:
                declared.error(f"{path}.name", "a detached container needs a name to refer to")
            if "name" in params:
                declared.containers.add(params["name"])
        return params

    def check_expect(self, declared: Declared, raw: object, path: str) -> dict | None:
        return self.expect.check(declared, raw, path)


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
