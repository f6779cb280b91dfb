"""One example folder: its files, its example.yaml scenario, and the bases its Dockerfiles use."""

import dataclasses
import re
import stat
from pathlib import Path

from catalog.content.mutants import MUTANT_DIR, MUTANT_FILE, load_mutant, split_mutant, without_dropped
from catalog.content.sources import (
    SCENARIO_FILE,
    ContentError,
    ExampleFileSource,
    ExampleSource,
    MutantSource,
    load_yaml,
    read_text,
)
from catalog.content.taxonomy import SLUG_PATTERN
from worker.images.build_context import parse_dockerfile
from worker.policy import image_ref_problems
from worker.scenario import Scenario, parse_scenario

FILE_NAME = re.compile(r"^[A-Za-z0-9._-]+(?:/[A-Za-z0-9._-]+)*$")
MOST_FILES = 50
LEAST_EXPECTATIONS = 2  # "it built and exited 0" proves no pattern


def load_example(
    root: Path, folder: Path, bases: set[str], errors: list, *, trust: str = "curated"
) -> ExampleSource | None:
    """The example in `folder`, checked for `trust` (worker/scenario/trust.py); None, with errors."""
    relative = folder.relative_to(root)
    before = len(errors)
    if not SLUG_PATTERN.match(folder.name):
        errors.append(ContentError(str(relative), "", "example folder names are slugs"))
    files, mutant_files = split_mutant(read_files(root, folder, errors))
    scenario_file = str(relative / SCENARIO_FILE)
    source = next((f for f in files if f.path == SCENARIO_FILE), None)
    if source is None:
        if not (folder / SCENARIO_FILE).is_file():  # else read_files said why it could not be read
            errors.append(ContentError(scenario_file, "", "missing: every example needs an example.yaml"))
        return None
    raw, error = load_yaml(source.content, scenario_file)
    if error:
        errors.append(error)
        return None
    scenario, problems = parse_scenario(raw, own_files(files), trust=trust)
    errors.extend(ContentError(scenario_file, problem.field, problem.message) for problem in problems)
    if scenario and scenario.proving_expectation_count < LEAST_EXPECTATIONS:
        errors.append(
            ContentError(
                scenario_file,
                "steps",
                f"an example proves its pattern with at least {LEAST_EXPECTATIONS} expectations "
                f"that would fail without it; this one has {scenario.proving_expectation_count}",
            )
        )
    if scenario and not scenario.commands:
        message = "a reader always gets a way to try the example: list the commands to type, in order"
        errors.append(ContentError(scenario_file, "commands", message))
    if scenario:
        contents = {f.path: f.content for f in files}
        for image in scenario.images:
            check_bases(contents[image.dockerfile], str(relative / image.dockerfile), bases, errors)
    mutant = (
        check_mutant(relative, raw, scenario, files, mutant_files, bases, errors, trust) if scenario else None
    )
    if len(errors) > before or scenario is None:
        return None
    return ExampleSource(
        slug=folder.name,
        title=scenario.title,
        summary=scenario.summary,
        scenario=scenario.to_dict(),
        host_access=scenario.host_access,
        files=tuple(files),
        mutant=mutant,
    )


def check_mutant(
    relative: Path,
    raw: object,
    scenario: Scenario,
    files: list,
    mutant_files: list,
    bases: set,
    errors: list,
    trust: str = "curated",
) -> MutantSource | None:
    """The mutant, if its files still fit the example's scenario and build only from listed bases."""
    before = len(errors)
    mutant = load_mutant(relative, files, mutant_files, errors)
    if mutant is None:
        return None
    scenario_file = str(relative / MUTANT_DIR / MUTANT_FILE)
    mutant_raw = without_dropped(raw, mutant.drops, scenario_file, errors) if mutant.drops else raw
    if mutant_raw is None:
        return None
    parsed, problems = parse_scenario(mutant_raw, own_files(mutant.files), trust=trust)
    if parsed is not None and parsed != scenario:  # steps dropped, or a Compose file it starts changed
        mutant = dataclasses.replace(mutant, scenario=parsed.to_dict())
    for problem in problems:
        message = f"the mutant's files do not fit the example: {problem.message}"
        errors.append(ContentError(scenario_file, problem.field, message))
    contents = {f.path: f.content for f in mutant.files}
    for path in {image.dockerfile for image in scenario.images} & set(mutant.changed) & set(contents):
        check_bases(contents[path], str(relative / MUTANT_DIR / path), bases, errors)
    return mutant if len(errors) == before else None


def own_files(files) -> dict[str, str]:
    """The files a scenario may name, path -> text: all but example.yaml itself."""
    return {f.path: f.content for f in files if f.path != SCENARIO_FILE}


def read_files(root: Path, folder: Path, errors: list) -> list[ExampleFileSource]:
    """Every file of the example as text; links, binaries and oversized files are refused."""
    files = []
    for path in sorted(folder.rglob("*")):
        relative = str(path.relative_to(root))
        name = path.relative_to(folder).as_posix()
        if path.is_symlink():
            errors.append(ContentError(relative, "", "links are not allowed in an example"))
            continue
        if path.is_dir():
            continue
        if not FILE_NAME.match(name):
            errors.append(ContentError(relative, "", "file names use letters, digits, '.', '_' and '-'"))
            continue
        content = read_text(path, relative, errors)
        if content is None:
            continue
        executable = bool(path.stat().st_mode & stat.S_IXUSR)
        files.append(ExampleFileSource(path=name, content=content, executable=executable))
    if len(files) > MOST_FILES:
        errors.append(ContentError(str(folder.relative_to(root)), "", f"more than {MOST_FILES} files"))
    return sorted(files, key=file_order)


def file_order(file: ExampleFileSource) -> tuple[int, str]:
    """Dockerfiles first, the scenario last, everything else by name."""
    if file.path.startswith("Dockerfile"):
        return (0, file.path)
    if file.path == SCENARIO_FILE:
        return (2, file.path)
    return (1, file.path)


def check_bases(dockerfile: str, file: str, bases: set[str], errors: list) -> None:
    """FROM and COPY --from name scratch, an earlier stage or a base of bases.yaml: worker.policy's rule."""
    allowed = ", ".join(sorted(bases))
    problems = image_ref_problems(parse_dockerfile(dockerfile), bases)
    for problem in sorted(problems, key=lambda problem: problem.instruction != "FROM"):
        if problem.instruction == "FROM":
            errors.append(ContentError(file, "FROM", f"{problem.ref!r} is not in bases.yaml ({allowed})"))
        else:
            errors.append(ContentError(file, "COPY --from", f"{problem.ref!r} is neither a stage nor a base"))
