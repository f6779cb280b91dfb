"""The catalog's examples as both sides read them, and the timing measured on each side."""

from __future__ import annotations

import stat
from dataclasses import dataclass
from pathlib import Path

import yaml

from worker.scenario import Scenario, parse_scenario


@dataclass(frozen=True)
class Example:
    name: str  # pattern/example, as the worker's rows name it
    folder: Path
    scenario: Scenario


@dataclass(frozen=True)
class Timing:
    """One example on one side: wall time, each step's time, build steps run, first-build cache hits."""

    total: float
    steps: tuple[float, ...]
    build_steps: int
    first_build_cached: int


def example_files(folder: Path) -> dict[str, tuple[bytes, bool]]:
    """The files as sync_patterns stores them (text, executable by its owner) and the worker reads them."""
    return {
        path.relative_to(folder).as_posix(): (
            path.read_text().encode(),
            bool(path.stat().st_mode & stat.S_IXUSR),
        )
        for path in folder.rglob("*")
        if path.is_file()
    }


def load_examples(tree: Path, only: list[str]) -> list[Example]:
    examples = []
    for path in sorted(tree.glob("*/examples/*/example.yaml")):
        folder, slug = path.parent, path.parent.parent.parent.name
        if only and slug not in only:
            continue
        files = {p.relative_to(folder).as_posix(): p for p in folder.rglob("*") if p.is_file()}
        texts = {name: file.read_text() for name, file in files.items() if name != "example.yaml"}
        scenario, problems = parse_scenario(yaml.safe_load(path.read_text()), texts)
        if scenario is None:
            raise RuntimeError(f"{path}: {problems[0]}")
        examples.append(Example(f"{slug}/{folder.name}", folder, scenario))
    missing = set(only) - {example.name.split("/")[0] for example in examples}
    if missing or not examples:
        raise RuntimeError(f"no examples for {', '.join(sorted(missing)) or 'this catalog'}")
    return examples
