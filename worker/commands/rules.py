"""What the commands' requests may do on the shared engine: labelled, locked, and kept to their own objects.

The relay (worker/commands/relay.py) asks `judge` about every request before the engine sees it.
Creations get the run's labels (so the clean-up and the reaper find them); every name a request
uses is locked (worker/commands/locks.py); changes to objects another run made, prunes, pulls
and host resources the example did not declare are refused with a message the CLI prints.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import re
from collections.abc import Collection, Mapping
from pathlib import Path

import docker
from docker.errors import NotFound

from worker.commands.http_wire import Request
from worker.commands.locks import NameBusy, NameLocks
from worker.contract import labels as label_keys

_VERSIONED = re.compile(r"^/v\d+\.\d+(/.*)$")
_OBJECT = re.compile(r"^/(containers|volumes|networks)/([^/]+)(/.*)?$")
_IMAGE = re.compile(r"^/images/(.+?)(/json|/history|/tag|/get|/push)?$")
# Build output names each step's image; Go's JSON writes ">" as \u003e.
_BUILT_ID = re.compile(rb"(?:---(?:>|\\u003e)|Successfully built) ([0-9a-f]{12})\b")
_HEX_ID = re.compile(r"^[0-9a-f]{12,64}$")
_DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
_CHANGES = ("POST", "PUT", "DELETE")
_REFUSED_PREFIXES = (
    "/swarm", "/services", "/tasks", "/secrets", "/configs", "/plugins", "/nodes", "/session",
)  # fmt: skip
_JSON_CREATES = ("/containers/create", "/volumes/create", "/networks/create", "/commit")
_KINDS = {"containers": "container", "volumes": "volume", "networks": "network"}
_BUILTIN_NETWORKS = {"", "default", "bridge", "host", "none"}


class Refused(Exception):
    def __init__(self, status: int, message: str):
        super().__init__(message)
        self.status = status


@dataclasses.dataclass
class Ledger:
    """What the run made that labels cannot find: tags given to other images, unlabelled build stages."""

    tags: set[str] = dataclasses.field(default_factory=set)
    image_ids: set[str] = dataclasses.field(default_factory=set)
    waits: list[str] = dataclasses.field(default_factory=list)  # names another run held too long


class RequestRules:
    def __init__(
        self,
        api: docker.APIClient,
        *,
        run_labels: Mapping[str, str],
        locks: NameLocks,
        deadline: float,
        own_socket: str,
        folder: Path,
        host_access: Collection[str] = (),
        cold: bool = False,
    ):
        self.api = api
        self.cold = cold
        self.builds_seen: set[tuple] = set()
        self.labels = dict(run_labels)
        self.run = self.labels[label_keys.RUN]
        self.locks = locks
        self.deadline = deadline
        self.own_socket = own_socket
        self.folder = folder.resolve()
        self.host_access = set(host_access)
        self.ledger = Ledger()

    @property
    def image_labels(self) -> dict[str, str]:
        return {k: v for k, v in self.labels.items() if k not in label_keys.RUN_ONLY}

    @staticmethod
    def wants_body(request: Request) -> bool:
        path = unversioned(request.path)
        return request.method == "POST" and path in _JSON_CREATES

    def judge(self, request: Request, body: dict | None) -> dict | None:
        """Rewrite the request in place (query) and return its new JSON body; raise Refused to stop it."""
        path = unversioned(request.path)
        try:
            return self._judge(request, path, body)
        except NameBusy as busy:
            self.ledger.waits.append(busy.key)
            raise Refused(409, f"verification: {busy}") from None

    def saw_response(self, data: bytes) -> None:
        self.ledger.image_ids.update(match.decode() for match in _BUILT_ID.findall(data))

    def _judge(self, request: Request, path: str, body: dict | None) -> dict | None:
        method = request.method
        if path.endswith("/prune"):
            raise Refused(403, "verification: prune would remove other work's objects on this engine")
        if path.startswith(_REFUSED_PREFIXES):
            raise Refused(403, f"verification: {path} is not available to an example's commands")
        if path == "/images/create":
            query = request.query
            wanted, tag = query.get("fromImage", [""])[0], query.get("tag", [""])[0]
            if normal_tag(f"{wanted}:{tag}" if tag else wanted) in self.ledger.tags:
                # The CLI pulls what it cannot find: an image these commands built went from the engine.
                raise Refused(404, f"verification: {wanted} {IMAGE_VANISHED}")
            raise Refused(403, "verification: nothing is pulled; use a base listed in patterns/bases.yaml")
        if path == "/build":
            return self._build(request)
        if path == "/containers/create":
            return self._create_container(request, body or {})
        if path == "/commit":
            return self._commit(request, body or {})
        if path in ("/volumes/create", "/networks/create"):
            kind = "volume" if path == "/volumes/create" else "network"
            name = str((body or {}).get("Name") or "")
            if name:
                self._hold(kind, name)
                self._clear_debris(kind, name)
            return {**(body or {}), "Labels": {**((body or {}).get("Labels") or {}), **self.labels}}
        image = _IMAGE.match(path)
        if image and method in _CHANGES:
            self._change_image(request, image.group(1), image.group(2) or "")
            return None
        found = _OBJECT.match(path)
        if found and found.group(2) not in ("json", "create"):
            kind, name = _KINDS[found.group(1)], found.group(2)
            if not _HEX_ID.match(name):
                self._hold(kind, name)
            if method in _CHANGES:
                self._require_own(kind, name)
        return None

    def _build(self, request: Request) -> None:
        query = request.query
        for tag in query.get("t", []):
            self._take_tag(normal_tag(tag))
        query["pull"] = ["0"]
        if self.cold and self._first_of_its_kind(query):
            query["nocache"] = ["1"]
        query["labels"] = [_json({**_loads(query.get("labels", ["{}"])[-1]), **self.image_labels})]
        request.with_query(query)

    def _first_of_its_kind(self, query: dict) -> bool:
        """A cold run's build of a Dockerfile (and target, arguments, context) it has not built yet.

        That build takes nothing from the engine's cache, whoever built the same before. A build
        of the same again (the cache example's rebuild, or after editing one file) may use the
        cache: its first build made every layer anew, so the only matches are this run's own.
        """
        kind = tuple(tuple(query.get(key, ())) for key in ("dockerfile", "target", "buildargs", "remote"))
        if kind in self.builds_seen:
            return False
        self.builds_seen.add(kind)
        return True

    def _change_image(self, request: Request, name: str, action: str) -> None:
        if action == "/tag":
            query = request.query
            repo, tag = query.get("repo", [""])[0], query.get("tag", [""])[0]
            self._take_tag(normal_tag(f"{repo}:{tag}" if tag else repo))
            return
        if request.method == "DELETE":
            if not _HEX_ID.match(name):
                self._hold("image", normal_tag(name))
            if normal_tag(name) in self.ledger.tags:
                return
            self._require_own("image", name)
            return
        raise Refused(403, f"verification: {request.method} {action or 'on images'} is not available")

    def _commit(self, request: Request, body: dict) -> dict:
        """`docker commit`: an image made from one of the commands' containers, labelled like a build."""
        query = request.query
        container = query.get("container", [""])[0]
        self._hold("container", container)
        self._require_own("container", container)
        repo, tag = query.get("repo", [""])[0], query.get("tag", [""])[0]
        if repo:
            self._take_tag(normal_tag(f"{repo}:{tag}" if tag else repo))
        return {**body, "Labels": {**(body.get("Labels") or {}), **self.image_labels}}

    def _take_tag(self, tag: str) -> None:
        """A tag the commands give: never one that names an image they did not make (a base, say)."""
        self._hold("image", tag)
        if tag not in self.ledger.tags:
            self._clear_debris("image", tag)
            self._require_own("image", tag)
        self.ledger.tags.add(tag)

    def _create_container(self, request: Request, body: dict) -> dict:
        name = request.query.get("name", [""])[0].lstrip("/")
        if name:
            self._hold("container", name)
            self._clear_debris("container", name)
        host = dict(body.get("HostConfig") or {})
        if host.get("Privileged"):
            raise Refused(403, "verification: privileged containers are not run")
        host["Binds"] = [self._bind(bind) for bind in host.get("Binds") or []]
        host["Mounts"] = [self._mount(mount) for mount in host.get("Mounts") or []]
        for source in host.get("VolumesFrom") or []:
            self._hold("container", source.split(":")[0])
        self._namespace(host.get("NetworkMode") or "", "host-network")
        for key in ("PidMode", "IpcMode"):
            self._namespace(host.get(key) or "", "host-pid")
        for network in (body.get("NetworkingConfig") or {}).get("EndpointsConfig") or {}:
            self._namespace(network, "host-network")
        for port, bindings in (host.get("PortBindings") or {}).items():
            for binding in bindings or []:
                if binding.get("HostIp") != "127.0.0.1":
                    raise Refused(
                        403,
                        f"verification: port {port} would be published on every interface; "
                        "publish on 127.0.0.1 only (-p 127.0.0.1:HOST:CONTAINER)",
                    )
                if binding.get("HostPort"):
                    self._hold("port", binding["HostPort"])
        return {**body, "HostConfig": host, "Labels": {**(body.get("Labels") or {}), **self.labels}}

    def _bind(self, bind: str) -> str:
        source, _, rest = bind.partition(":")
        if not source.startswith("/"):
            self._own_volume(source)
            return bind
        return f"{self._host_path(source)}:{rest}"

    def _mount(self, mount: dict) -> dict:
        if mount.get("Type") == "volume" and mount.get("Source"):
            self._own_volume(mount["Source"])
        elif mount.get("Type") == "bind":
            return {**mount, "Source": self._host_path(mount.get("Source") or "")}
        return mount

    def _host_path(self, source: str) -> str:
        """A bind mount may name the example's folder, or the engine socket when the example declares it."""
        if source in _DOCKER_SOCKETS:
            if "docker-socket" not in self.host_access:
                raise Refused(403, "verification: the Docker socket is mounted only if host_access says so")
            return self.own_socket  # the relay, so that what the container creates is labelled too
        resolved = Path(source).resolve()
        if resolved != self.folder and self.folder not in resolved.parents:
            raise Refused(403, f"verification: only the example's own folder is bind-mounted, not {source}")
        return str(resolved)

    def _namespace(self, mode: str, access: str) -> None:
        if mode == "host":
            if access not in self.host_access:
                raise Refused(403, f"verification: {access} is used only where host_access says so")
        elif mode.startswith("container:"):
            self._hold("container", mode.removeprefix("container:"))
        elif mode not in _BUILTIN_NETWORKS and access == "host-network" and not _HEX_ID.match(mode):
            self._hold("network", mode)

    def _own_volume(self, name: str) -> None:
        """A named volume a container creates on the fly is made here first, with the run's labels."""
        self._hold("volume", name)
        self._clear_debris("volume", name)
        try:
            volume = self.api.inspect_volume(name)
        except NotFound:
            self.api.create_volume(name, labels=self.labels)
            return
        if (volume.get("Labels") or {}).get(label_keys.RUN) != self.run:
            raise Refused(409, f"verification: volume {name} exists and was not made by these commands")

    def _clear_debris(self, kind: str, name: str) -> None:
        """The name is held now, so no live run owns it: what a dead run of this catalog left goes.

        A worker killed mid-commands leaves its containers and tags until the reaper passes; the
        next run must not fail on them. Objects this catalog did not make are never touched.
        """
        found = self._labels_of(kind, name)
        if found is None or found.get(label_keys.RUN) == self.run:
            return
        if any(found.get(key) != self.labels.get(key) for key in (label_keys.OWNER, label_keys.INSTANCE)):
            return
        with contextlib.suppress(NotFound):
            {
                "container": lambda: self.api.remove_container(name, v=True, force=True),
                "volume": lambda: self.api.remove_volume(name, force=True),
                "network": lambda: self.api.remove_network(name),
                "image": lambda: self.api.remove_image(name, force=True),
            }[kind]()

    def _labels_of(self, kind: str, name: str) -> dict | None:
        """The object's labels, or None when there is no such object."""
        inspect = {
            "container": lambda: self.api.inspect_container(name)["Config"].get("Labels"),
            "volume": lambda: self.api.inspect_volume(name).get("Labels"),
            "network": lambda: self.api.inspect_network(name).get("Labels"),
            "image": lambda: self.api.inspect_image(name)["Config"].get("Labels"),
        }[kind]
        try:
            return inspect() or {}
        except NotFound:
            return None

    def _require_own(self, kind: str, name: str) -> None:
        found = self._labels_of(kind, name)
        if found is None:
            return  # the engine answers the request itself: no such object
        if found.get(label_keys.RUN) != self.run:
            raise Refused(403, f"verification: {kind} {name} was not made by these commands; leave it alone")

    def _hold(self, kind: str, name: str) -> None:
        self.locks.hold(f"{kind}:{name}", self.deadline)


def unversioned(path: str) -> str:
    found = _VERSIONED.match(path)
    return found.group(1) if found else path


# Said when an image the commands built is gone before they use it: something else removed it, not the page.
IMAGE_VANISHED = "was built by these commands and removed from the engine before they used it"


def normal_tag(reference: str) -> str:
    """`web` and `web:latest` are one tag; a digest reference stays as it is."""
    if "@" in reference or ":" in reference.rsplit("/", 1)[-1]:
        return reference
    return f"{reference}:latest"


def _json(value: dict) -> str:
    return json.dumps(value, sort_keys=True)


def _loads(text: str) -> dict:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
