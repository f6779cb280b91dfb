"""The part of a Compose file the verifier runs: services built from the example's own Dockerfiles.

A compose step reads the example's docker-compose.yml instead of a hand-made copy of its
topology, so a change to the file (a dropped health condition, a service on the wrong
network) changes what is verified. Only what can be run offline and inside the sandbox is
accepted, and everything else is refused by name rather than silently ignored: a service is
built (`build:`) from a Dockerfile the example declares under `images`, never pulled.

Read once, when the example is parsed; the project it returns is stored in the step.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field

import yaml

# The scenario's name rule (worker/scenario/declared.NAME): services become the containers and networks
# later steps name. Written here again because importing the scenario package would make a circle;
# tests/test_compose_file.py keeps the two equal.
NAME = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
TOP_KEYS = {"services", "networks", "name", "version"}  # version: obsolete, accepted and ignored
SERVICE_KEYS = {"build", "environment", "depends_on", "networks", "ports", "command", "entrypoint", "user"}
BUILD_KEYS = {"context", "dockerfile", "target"}
CONDITIONS = ("service_started", "service_healthy", "service_completed_successfully")
DEFAULT_NETWORK = "default"  # Compose puts a service that names no network on the project's default
_PORT = re.compile(r"^(?:(?:127\.0\.0\.1|0\.0\.0\.0|localhost):)?(?:\d{1,5}:)?\d{1,5}(?:/(?:tcp|udp))?$")

# (the image's Dockerfile, its build stage or None) -> the image's name under example.yaml's `images`
ImageBuilds = Mapping[tuple[str, str | None], str]


@dataclass(frozen=True)
class ComposeService:
    name: str
    image: str  # the name of a scenario image, built by the run like any other
    networks: tuple[str, ...]
    depends_on: dict[str, str] = field(default_factory=dict)  # service -> condition
    environment: dict[str, str] = field(default_factory=dict)
    ports: tuple[str, ...] = ()  # as written; the verifier publishes none (a reader's machine does)
    command: list[str] | str | None = None
    entrypoint: list[str] | str | None = None
    user: str | None = None


@dataclass(frozen=True)
class ComposeProject:
    file: str
    services: tuple[ComposeService, ...]  # in the order `docker compose up` starts them
    networks: tuple[str, ...]

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping) -> ComposeProject:
        services = tuple(
            ComposeService(
                **{**service, "networks": tuple(service["networks"]), "ports": tuple(service["ports"])}
            )
            for service in data["services"]
        )
        return cls(file=data["file"], services=services, networks=tuple(data["networks"]))


class ComposeError(ValueError):
    """One problem in a Compose file, with the dotted path of the key at fault."""

    def __init__(self, key: str, message: str):
        super().__init__(f"{key}: {message}" if key else message)
        self.key = key
        self.message = message


def read_compose(
    file: str, text: str, builds: ImageBuilds
) -> tuple[ComposeProject | None, list[ComposeError]]:
    """The project `file` describes, or None and every problem found in it."""
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        return None, [ComposeError("", f"not valid YAML: {error}")]
    reader = _Reader(builds)
    project = reader.project(file, raw)
    return (None, reader.errors) if reader.errors else (project, [])


class _Reader:
    def __init__(self, builds: ImageBuilds):
        self.builds = builds
        self.errors: list[ComposeError] = []

    def error(self, key: str, message: str) -> None:
        self.errors.append(ComposeError(key, message))

    def unknown(self, data: Mapping, allowed: set[str], where: str) -> None:
        for key in sorted(set(data) - allowed, key=str):
            self.error(
                f"{where}{key}",
                f"not run by the verifier, which would then check less than the file says; "
                f"supported here: {', '.join(sorted(allowed))}",
            )

    def project(self, file: str, raw: object) -> ComposeProject | None:
        if not isinstance(raw, dict) or not isinstance(raw.get("services"), dict) or not raw["services"]:
            self.error("services", "expected a mapping of service names to their settings")
            return None
        self.unknown(raw, TOP_KEYS, "")
        networks = self.networks(raw.get("networks") or {})
        services = [self.service(name, spec) for name, spec in raw["services"].items()]
        services = [service for service in services if service]
        for service in services:
            for network in service.networks:
                if network != DEFAULT_NETWORK and network not in networks:
                    self.error(f"services.{service.name}.networks", f"{network!r} is not under 'networks'")
        if self.errors:
            return None
        ordered = self.start_order(services)
        if self.errors:
            return None
        used = list(dict.fromkeys(network for service in ordered for network in service.networks))
        return ComposeProject(file=file, services=tuple(ordered), networks=tuple(used))

    def networks(self, raw: object) -> list[str]:
        if not isinstance(raw, dict):
            self.error("networks", "expected a mapping of network names to their settings")
            return []
        for name, spec in raw.items():
            if not isinstance(name, str) or not NAME.match(name):
                self.error(f"networks.{name}", "network names are lower-case letters, digits, '-' or '_'")
            elif spec:  # drivers, subnets, external networks: the verifier makes its own internal bridge
                self.error(f"networks.{name}", "network settings are not run by the verifier; use {}")
        return [name for name in raw if isinstance(name, str)]

    def service(self, name: object, spec: object) -> ComposeService | None:
        where = f"services.{name}"
        if not isinstance(name, str) or not NAME.match(name):
            self.error(where, "service names are lower-case letters, digits, '-' or '_'")
            return None
        if not isinstance(spec, dict):
            self.error(where, "expected a mapping of the service's settings")
            return None
        self.unknown(spec, SERVICE_KEYS, f"{where}.")
        image = self.image(spec.get("build"), f"{where}.build")
        networks = spec.get("networks", [DEFAULT_NETWORK])
        if isinstance(networks, dict):
            if any(networks.values()):
                self.error(f"{where}.networks", "aliases and addresses are not run by the verifier")
            networks = list(networks)
        if not isinstance(networks, list) or not networks or not all(isinstance(n, str) for n in networks):
            self.error(f"{where}.networks", "expected a list of network names")
            networks = []
        return ComposeService(
            name=name,
            image=image or "",
            networks=tuple(networks),
            depends_on=self.depends_on(spec.get("depends_on", []), f"{where}.depends_on"),
            environment=self.environment(spec.get("environment", {}), f"{where}.environment"),
            ports=tuple(self.ports(spec.get("ports", []), f"{where}.ports")),
            command=self.command(spec.get("command"), f"{where}.command"),
            entrypoint=self.command(spec.get("entrypoint"), f"{where}.entrypoint"),
            user=self.text(spec.get("user"), f"{where}.user"),
        )

    def image(self, build: object, where: str) -> str | None:
        if build is None:
            self.error(
                where,
                "required: the verifier builds every service from the example's Dockerfiles "
                "and never pulls an `image:`",
            )
            return None
        if isinstance(build, str):
            build = {"context": build}
        if not isinstance(build, dict):
            self.error(where, "expected a context or {context, dockerfile, target}")
            return None
        self.unknown(build, BUILD_KEYS, f"{where}.")
        if build.get("context", ".") not in (".", "./"):
            self.error(f"{where}.context", "the example's folder ('.') is the only build context")
        dockerfile, target = build.get("dockerfile", "Dockerfile"), build.get("target")
        image = self.builds.get((dockerfile, target))
        if image is None:
            stage = f", stage {target}" if target else ""
            self.error(
                where,
                f"no image under example.yaml's 'images' is built from {dockerfile}{stage}; "
                "declare it there so that the run builds and checks it",
            )
        return image

    def depends_on(self, raw: object, where: str) -> dict[str, str]:
        if isinstance(raw, list) and all(isinstance(name, str) for name in raw):
            return {name: CONDITIONS[0] for name in raw}
        if not isinstance(raw, dict):
            self.error(where, "expected a list of services or a mapping of services to {condition}")
            return {}
        conditions = {}
        for name, spec in raw.items():
            condition = spec.get("condition", CONDITIONS[0]) if isinstance(spec, dict) else None
            if condition not in CONDITIONS:
                self.error(f"{where}.{name}.condition", f"expected one of {', '.join(CONDITIONS)}")
            conditions[str(name)] = condition
        return conditions

    def environment(self, raw: object, where: str) -> dict[str, str]:
        if isinstance(raw, list):
            pairs = [str(item).partition("=") for item in raw]
            if any(not sep for _, sep, _ in pairs):
                self.error(where, "a list entry must read NAME=value; a bare NAME reads the host's value")
            raw = {name: value for name, _, value in pairs}
        if not isinstance(raw, dict) or any(value is None for value in raw.values()):
            self.error(where, "expected NAME: value pairs (a value taken from the host is not run)")
            return {}
        return {str(name): str(value) for name, value in raw.items()}

    def ports(self, raw: object, where: str) -> list[str]:
        ports = [str(port) for port in raw] if isinstance(raw, list) else None
        if ports is None or not all(_PORT.match(port) for port in ports):
            self.error(where, 'expected a list of "host:container" port strings')
            return []
        return ports

    def command(self, raw: object, where: str) -> list[str] | str | None:
        words = isinstance(raw, list) and all(isinstance(word, str) for word in raw)
        if raw is None or isinstance(raw, str) or words:
            return raw
        self.error(where, "expected a command line or a list of words")
        return None

    def text(self, raw: object, where: str) -> str | None:
        if raw is None or isinstance(raw, str | int):
            return None if raw is None else str(raw)
        self.error(where, "expected text")
        return None

    def start_order(self, services: list[ComposeService]) -> list[ComposeService]:
        """Dependencies first, otherwise in the file's order, as `docker compose up` starts them."""
        by_name = {service.name: service for service in services}
        ordered: list[ComposeService] = []
        visiting: list[str] = []

        def visit(service: ComposeService) -> None:
            if service in ordered:
                return
            if service.name in visiting:
                cycle = " -> ".join([*visiting[visiting.index(service.name) :], service.name])
                self.error(f"services.{service.name}.depends_on", f"services depend on each other: {cycle}")
                return
            visiting.append(service.name)
            for dependency in service.depends_on:
                if dependency in by_name:
                    visit(by_name[dependency])
                else:
                    self.error(f"services.{service.name}.depends_on", f"{dependency!r} is not a service here")
            visiting.pop()
            ordered.append(service)

        for service in services:
            visit(service)
        return ordered
