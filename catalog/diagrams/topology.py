"""What a scenario sets up, as nodes and edges: the containers, their images, volumes, networks and joins.

Read from the step registry's parameter kinds (worker/steps), not from a list of action
names here, so a new action that acts on a container or an image lands on the right node.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from catalog.diagrams.svg import counted
from worker.compose_file import ComposeProject, ComposeService
from worker.contract.quantities import format_size
from worker.scenario import Scenario, Step
from worker.steps.registry import ACTIONS, describe

# The host access a run step may ask for (worker/scenario/kinds.py HOST_ACCESS), in words.
HOST_LABELS = {
    "docker-socket": "Docker socket",
    "host-pid": "host PID namespace",
    "host-network": "host network",
}
# A run parameter that joins another container's namespace: (parameter, edge kind, its name in words).
JOINS = (
    ("network", "network-namespace", "network"),
    ("pid", "pid-namespace", "PID"),
    ("ipc", "ipc-namespace", "IPC"),
)
JOINED = "container:"
# Container to container.
ARCS = ("network-namespace", "pid-namespace", "ipc-namespace", "volumes-from", "depends-on")
# A Compose dependency's condition (worker/compose_file.py CONDITIONS), as the diagram says it.
CONDITION_WORDS = {
    "service_started": "is started",
    "service_healthy": "is healthy",
    "service_completed_successfully": "completed",
}

# One edge in words; source and target are the labels of its nodes.
SENTENCES = {
    "runs": "{target} runs image {source}",
    "mount": "{source} mounts volume {target}",
    "network": "{source} joins network {target}",
    "network-namespace": "{source} joins the network namespace of {target}",
    "pid-namespace": "{source} joins the PID namespace of {target}",
    "ipc-namespace": "{source} joins the IPC namespace of {target}",
    "volumes-from": "{source} takes the volumes of {target}",
    "host": "{source} uses the {target}",
    "depends-on": "{source} starts once {target} {label}",
}


@dataclass
class Node:
    """Filled in while the steps are read, then only read."""

    kind: str  # image, container, volume, network or host
    key: str  # unique within the diagram: "<kind>:<name>"
    label: str
    detail: str = ""  # a second line: an image's Dockerfile, what a volume starts with
    steps: list[int] = field(default_factory=list)  # the numbers of the steps that act on it
    ports: list[int] = field(default_factory=list)  # ports a probe reached (containers)
    notes: list[str] = field(default_factory=list)  # how a container was run: read-only, tmpfs...


@dataclass(frozen=True)
class Edge:
    kind: str  # "runs", "mount", "network", "host", or one of ARCS
    source: str  # node keys; a join points from the joining container to the one it joins
    target: str
    step: int
    label: str = ""  # a mount's path, or a dependency's condition in words


@dataclass(frozen=True)
class StepLine:
    number: int
    text: str
    checks: int
    side: str  # "before", "after" or "" as in the scenario


@dataclass(frozen=True)
class Topology:
    images: tuple[Node, ...]
    containers: tuple[Node, ...]
    resources: tuple[Node, ...]  # volumes, networks, then what of the host is used
    edges: tuple[Edge, ...]
    steps: tuple[StepLine, ...]

    def node(self, key: str) -> Node:
        return next(n for n in (*self.images, *self.containers, *self.resources) if n.key == key)

    def sentence(self, edge: Edge) -> str:
        names = {"source": self.node(edge.source).label, "target": self.node(edge.target).label}
        template = SENTENCES[edge.kind]
        if "{label}" in template:  # the label is part of the sentence: a dependency's condition
            return template.format(**names, label=edge.label)
        words = template.format(**names)
        return f"{words} at {edge.label}" if edge.label else words

    def summary(self) -> str:
        """The picture in a paragraph: what it holds and which containers share what."""
        kinds = [node.kind for node in self.resources]
        held = [counted(len(self.containers), "container"), counted(len(self.images), "image")]
        held += [counted(kinds.count(kind), kind) for kind in ("volume", "network") if kind in kinds]
        held += [f"the {node.label}" for node in self.resources if node.kind == "host"]
        joins = [self.sentence(edge) + "." for edge in self.edges if edge.kind in ARCS]
        return " ".join(
            [f"{', '.join(held)}; {counted(len(self.steps), 'step')}, numbered in order.", *joins]
        )


def build_topology(scenario: Scenario) -> Topology:
    """Nodes in the order the scenario first uses them; every step lands on exactly one node."""
    images = {}
    for spec in scenario.images:
        detail = spec.dockerfile + (f", stage {spec.target}" if spec.target else "")
        images[f"image:{spec.name}"] = Node("image", f"image:{spec.name}", spec.name, detail)
    volumes = {
        f"volume:{v.name}": Node("volume", f"volume:{v.name}", v.name, filled(len(v.files)))
        for v in scenario.volumes
    }
    networks = {f"network:{name}": Node("network", f"network:{name}", name) for name in scenario.networks}
    hosts: dict[str, Node] = {}
    containers: dict[str, Node] = {}
    edges: list[Edge] = []
    lines: list[StepLine] = []
    for number, step in enumerate(scenario.steps, start=1):
        kinds = ACTIONS[step.action].params
        values = {kinds[name]: value for name, value in step.params.items() if name in kinds}
        if "compose_file" in kinds.values():
            project = ComposeProject.from_dict(step.params["project"])
            for name in project.networks:
                networks.setdefault(f"network:{name}", Node("network", f"network:{name}", name))
            started = [compose_service(service, number, containers, edges) for service in project.services]
            owner, text = started[0], compose_text(project)
            for node in started[1:]:
                node.steps.append(number)
        elif "new_container" in kinds.values():
            # An unnamed container is known by the number of the step that ran it ("run 3").
            label = step.container_name or f"run {number}"
            owner = containers[f"container:{label}"] = Node("container", f"container:{label}", label)
            owner.notes += run_notes(step)
            edges += [
                Edge("runs", f"image:{step.image}", owner.key, number),
                *run_edges(step, owner.key, number),
            ]
            for access in step.params.get("host_access", ()):
                hosts.setdefault(f"host:{access}", Node("host", f"host:{access}", host_label(access)))
            text = started_text(step, number, owner, edges)
        else:
            if "container" in values:
                owner = containers[f"container:{values['container']}"]
            elif "volume" in values:
                owner = volumes[f"volume:{values['volume']}"]
            else:
                owner = images[f"image:{values['image']}"]
            text = describe(step)  # the title the live log gives the step
        owner.steps.append(number)
        if owner.kind == "container" and "port" in step.params:
            owner.ports.append(int(step.params["port"]))
        lines.append(StepLine(number, text, len(step.expect), step.side))
    resources = (*volumes.values(), *networks.values(), *hosts.values())
    return Topology(
        images=tuple(first_used(images.values(), edges, lambda e: e.source)),
        containers=tuple(containers.values()),
        resources=tuple(first_used(resources, edges, lambda e: e.target)),
        edges=tuple(edges),
        steps=tuple(lines),
    )


def compose_service(service: ComposeService, number: int, containers: dict, edges: list[Edge]) -> Node:
    """A service's container, with its image, its networks and the services it waits for."""
    node = containers[f"container:{service.name}"] = Node(
        "container", f"container:{service.name}", service.name
    )
    node.notes += [f"user {service.user}"] if service.user else []
    edges.append(Edge("runs", f"image:{service.image}", node.key, number))
    edges += [Edge("network", node.key, f"network:{name}", number) for name in service.networks]
    edges += [
        Edge("depends-on", node.key, f"container:{dependency}", number, CONDITION_WORDS[condition])
        for dependency, condition in service.depends_on.items()
    ]
    return node


def compose_text(project: ComposeProject) -> str:
    """The compose step in words: each service in the order it started, and what it waited for."""
    parts = []
    for service in project.services:
        waits = [f"{dependency} {CONDITION_WORDS[c]}" for dependency, c in service.depends_on.items()]
        parts.append(f"{service.name}" + (f" once {' and '.join(waits)}" if waits else ""))
    return f"start {project.file} as docker compose up does: {', then '.join(parts)}"


def host_label(access: str) -> str:
    return HOST_LABELS.get(access, access)


def filled(files: int) -> str:
    return f"filled with {counted(files, 'file')}" if files else ""


def run_edges(step: Step, key: str, number: int) -> list[Edge]:
    params = step.params
    edges = []
    for parameter, kind, _ in JOINS:
        value = str(params.get(parameter, ""))
        if value.startswith(JOINED):
            edges.append(Edge(kind, key, f"container:{value.removeprefix(JOINED)}", number))
        elif parameter == "network" and value not in ("", "none"):  # none is the runner's default
            edges.append(Edge("network", key, f"network:{value}", number))
    edges += [
        Edge("volumes-from", key, f"container:{name}", number) for name in params.get("volumes_from", ())
    ]
    edges += [
        Edge("mount", key, f"volume:{name}", number, path) for name, path in params.get("mounts", {}).items()
    ]
    edges += [Edge("host", key, f"host:{access}", number) for access in params.get("host_access", ())]
    return edges


def run_notes(step: Step) -> list[str]:
    """How the container was started, beyond what the edges draw."""
    params = step.params
    notes = ["read-only root"] if params.get("read_only") else []
    notes += [f"tmpfs {path}" for path in params.get("tmpfs", ())]
    notes += ["init as PID 1"] if params.get("init") else []
    notes += [f"user {params['user']}"] if params.get("user") else []
    notes += [f"memory limit {format_size(params['mem_limit'])}"] if params.get("mem_limit") else []
    return notes


def started_text(step: Step, number: int, owner: Node, edges: list[Edge]) -> str:
    """A step that starts a container, with what it joins and mounts: the picture's edges in words."""
    own = [edge for edge in edges if edge.source == owner.key and edge.step == number]
    details = []
    for target in dict.fromkeys(e.target for e in own if e.kind.endswith("-namespace")):
        names = [words for _, kind, words in JOINS if Edge(kind, owner.key, target, number) in own]
        plural = "namespaces" if len(names) > 1 else "namespace"
        listed = ", ".join(names[:-1]) + " and " + names[-1] if len(names) > 1 else names[0]
        details.append(f"joins the {listed} {plural} of {target.removeprefix('container:')}")
    details += [f"network {e.target.removeprefix('network:')}" for e in own if e.kind == "network"]
    details += [
        f"volumes from {e.target.removeprefix('container:')}" for e in own if e.kind == "volumes-from"
    ]
    details += [f"volume {e.target.removeprefix('volume:')} at {e.label}" for e in own if e.kind == "mount"]
    details += [host_label(e.target.removeprefix("host:")) for e in own if e.kind == "host"]
    details += owner.notes
    background = " in the background" if step.params.get("detach") else ""
    who = owner.label if step.container_name else f"an unnamed container ({owner.label})"
    text = f"start {who} from image {step.image}{background}"
    return f"{text} ({'; '.join(details)})" if details else text


def first_used(nodes, edges: list[Edge], end) -> list[Node]:
    """Nodes in the order edges first reach them, those no edge reaches last (in declared order)."""
    nodes = list(nodes)
    order: dict[str, int] = {}
    for position, edge in enumerate(edges):
        order.setdefault(end(edge), position)
    return sorted(nodes, key=lambda node: order.get(node.key, len(edges) + nodes.index(node)))
