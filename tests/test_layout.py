"""The import graph of catalog/ and worker/: no circles, and Django only in the worker's glue modules."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("catalog", "worker")

# The worker modules that are Celery and Django glue: they read and write rows, so they import the
# models; every other worker module takes plain data and imports no Django (../shared/DESIGN.md).
WORKER_GLUE = {
    "worker.celery_app",  # the Celery application, configured from Django's settings
    "worker.lifecycle",  # worker start-up signals: heartbeat rows, waking and queueing verifications
    "worker.tasks",  # the Celery tasks: a row's id in, the engine called, the result recorded
    "worker.kit_tasks",  # the kit's build task: a workshop's kit built on the engine, its status file kept
    "worker.workshop_tasks",  # the daily re-verification of the workshops still to come
    "worker.verification_run",  # one claimed attempt: the row read, the scenario run, the result stored
    "worker.progress",  # the attempt's live log and lease, written to its row while the scenario runs
    "worker.sweep",  # the reaper's sweep: which attempts are live, and its heartbeat row
    "worker.submission_run",  # one claimed sandbox run of a submission: its folder read, results stored
    "worker.submission_tasks",  # the sandbox's task, and the beat that wakes runs and reaps its engine
}

# Circles that were there before this test and lie outside the worker; each is to be broken.
KNOWN_CYCLES: list[set[str]] = []


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    line: int
    top_level: bool  # run when the module is imported, not later inside a function
    type_only: bool  # under `if TYPE_CHECKING:`, never run


def module_names() -> dict[str, Path]:
    names = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            names[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return names


MODULES = module_names()


def _project_module(name: str) -> str | None:
    """The longest project module that `name` starts with (an attribute import names its module)."""
    parts = name.split(".")
    while parts:
        candidate = ".".join(parts)
        if candidate in MODULES:
            return candidate
        parts.pop()
    return None


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, bool, bool]]:
    """Every import statement with (top level, type only); function bodies are searched too."""

    def visit(node: ast.AST, top_level: bool, type_only: bool) -> Iterator:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, top_level, type_only
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                yield from visit(child, False, type_only)
            elif isinstance(child, ast.If) and _is_type_checking(child):
                for statement in child.body:
                    yield from visit(ast.Module(body=[statement], type_ignores=[]), top_level, True)
                for statement in child.orelse:
                    yield from visit(ast.Module(body=[statement], type_ignores=[]), top_level, type_only)
            else:
                yield from visit(child, top_level, type_only)

    yield from visit(tree, True, False)


def _targets(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> Iterator[str]:
    """The names an import statement reaches, absolute, as `package.module[.attribute]`."""
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
        return
    base = node.module or ""
    if node.level:
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        for _ in range(node.level - 1):
            package = package.rpartition(".")[0]
        base = f"{package}.{base}" if base else package
    for alias in node.names:
        yield f"{base}.{alias.name}"


def _parents(module: str) -> Iterator[str]:
    """The packages Python initialises before the module itself: `a` and `a.b` for `a.b.c`."""
    parts = module.split(".")
    for end in range(1, len(parts)):
        yield ".".join(parts[:end])


def edges() -> list[Edge]:
    found = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(), filename=str(path))
        for node, top_level, type_only in _imports(tree):
            for name in _targets(module, path, node):
                target = _project_module(name)
                if target is None:
                    continue
                # Importing a.b.c runs a/__init__.py and a/b/__init__.py first, so a circle can pass
                # through a package's re-exports. A type-only import runs nothing: it names one module.
                reached = [target] if type_only else [*_parents(target), target]
                found += [
                    Edge(module, each, node.lineno, top_level, type_only)
                    for each in reached
                    if each != module and not module.startswith(f"{each}.")
                ]
    return found


def find_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle per strongly connected component (Tarjan), as a path that returns to its start."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph.get(node, ())):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return [_circle(graph, component) for component in components]


def _circle(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """A shortest path from the component's first module back to itself, inside the component."""
    start = min(component)
    paths = {start: [start]}
    queue = [start]
    while queue:
        node = queue.pop(0)
        for target in sorted(graph.get(node, set()) & component):
            if target == start:
                return [*paths[node], start]
            if target not in paths:
                paths[target] = [*paths[node], target]
                queue.append(target)
    return sorted(component)


def graph_of(found: list[Edge]) -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {module: set() for module in MODULES}
    for edge in found:
        graph[edge.source].add(edge.target)
    return graph


def test_the_modules_are_found():
    expected = {"worker.tasks", "worker.runner", "catalog.models", "catalog.verifications.queueing"}
    assert expected <= set(MODULES)


def test_a_circle_is_found_and_named():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set()}
    assert find_cycles(graph) == [["a", "b", "c", "a"]]
    assert find_cycles({"a": {"b"}, "b": set()}) == []


def test_imports_inside_functions_and_packages_count():
    tree = ast.parse("import os\n\ndef f():\n    from worker.tasks import verify_example\n")
    found = [(node.lineno, top) for node, top, _ in _imports(tree)]
    assert found == [(1, True), (4, False)]
    assert list(_parents("worker.steps.context")) == ["worker", "worker.steps"]


def test_there_are_no_import_circles():
    cycles = [cycle for cycle in find_cycles(graph_of(edges())) if set(cycle) not in KNOWN_CYCLES]
    assert not cycles, "import circles: " + "; ".join(" -> ".join(cycle) for cycle in cycles)


def test_the_known_circles_are_still_there():
    """A known circle that is gone is taken off the list, so it cannot come back unnoticed."""
    present = [set(cycle) for cycle in find_cycles(graph_of(edges()))]
    assert [known for known in KNOWN_CYCLES if known not in present] == []


def test_only_the_glue_modules_of_the_worker_import_django_or_the_site():
    """At any level: an import inside a function would hide the dependency, not remove it."""
    offenders = []
    for module, path in MODULES.items():
        if not module.startswith("worker") or module in WORKER_GLUE:
            continue
        tree = ast.parse(path.read_text(), filename=str(path))
        for node, _, _ in _imports(tree):
            names = list(_targets(module, path, node))
            if any(name.split(".")[0] in ("django", "catalog") for name in names):
                offenders.append(f"{module} line {node.lineno}: {', '.join(names)}")
    assert not offenders, offenders


def test_the_glue_list_names_modules_that_exist():
    assert set(MODULES) >= WORKER_GLUE


def test_no_module_imports_the_project_inside_a_function():
    """An import moved into a function hides a circle from this test instead of removing it."""
    hidden = [f"{e.source} line {e.line}: {e.target}" for e in edges() if not e.top_level]
    assert not hidden, hidden
