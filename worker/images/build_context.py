"""What the builder receives: an in-memory tar of the example's files, and the Dockerfile's instructions."""

from __future__ import annotations

import io
import json
import re
import tarfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Protocol

from docker.utils.build import PatternMatcher

Files = Mapping[str, tuple[bytes, bool]]  # path -> (content, executable)

SAFE_PATH = re.compile(r"^[A-Za-z0-9._-]+(/[A-Za-z0-9._-]+)*$")
# A fixed time keeps the context bytes reproducible; the builder's cache ignores mtimes anyway.
CONTEXT_MTIME = 1_577_836_800  # 2020-01-01
DOCKERIGNORE = ".dockerignore"
# The copy of the example's Dockerfile that the worker builds (see labelled_build).
LABELLED_DOCKERFILE = "Dockerfile.catalog-labelled"
_DIRECTIVE = re.compile(r"^#\s*([A-Za-z][A-Za-z0-9_-]*)\s*=\s*(.*?)\s*$")
_FLAGGED = {"FROM", "COPY", "ADD", "RUN", "HEALTHCHECK"}  # the instructions that take --options
_VARIABLE = re.compile(r"\$(?:\{(\w+)(?::?[-+][^}]*)?\}|(\w+))")


def safe_path(path: str) -> bool:
    """A relative path of plain characters with no '.' or '..' components."""
    return bool(SAFE_PATH.match(path)) and not any(part in (".", "..") for part in path.split("/"))


class TextFile(Protocol):
    """A file of an example as stored: the database's ExampleFile, the loader's ExampleFileSource."""

    path: str
    content: str
    executable: bool


def context_files(files: Iterable[TextFile]) -> dict[str, tuple[bytes, bool]]:
    """An example's files as the engine receives them: path -> (UTF-8 bytes, executable)."""
    return {file.path: (file.content.encode(), file.executable) for file in files}


def context_tar(files: Files) -> bytes:
    """The files as a tar of regular files only (uid 0, modes 0644/0755), built in memory.

    Links, devices and odd names cannot occur: every member is made here from bytes.
    """
    files = without_ignored(files)
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for path in sorted(files):
            if not safe_path(path):
                raise ValueError(f"unsafe file name in the build context: {path!r}")
            content, executable = files[path]
            info = tarfile.TarInfo(path)
            info.size = len(content)
            info.mode = 0o755 if executable else 0o644
            info.mtime = CONTEXT_MTIME
            tar.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


def without_ignored(files: Files) -> Files:
    """The files `docker build` would send: those a `.dockerignore` excludes are left out.

    The CLI filters the context on the client with the same patterns (Go filepath.Match with
    `**` and `!` exceptions, docker-py's PatternMatcher). It always sends the ignore file and
    the Dockerfile it builds, which the engine reads and then drops if the patterns exclude
    them; the worker always builds LABELLED_DOCKERFILE, so only that one is kept regardless.
    """
    ignore = files.get(DOCKERIGNORE)
    if ignore is None:
        return files
    patterns = [
        line.strip()
        for line in ignore[0].decode("utf-8", errors="replace").splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]
    matcher = PatternMatcher(patterns)
    return {
        path: entry
        for path, entry in files.items()
        if path in (DOCKERIGNORE, LABELLED_DOCKERFILE) or not _ignored(matcher, path)
    }


def _ignored(matcher: PatternMatcher, path: str) -> bool:
    """Whether the CLI leaves `path` out: the last pattern that matches it, or one of its folders, decides.

    moby's MatchesOrParentMatches. docker-py's own `matches` tries a folder only when the
    pattern has no more parts than it, so `**/node_modules` missed `node_modules/a.js` at
    the top, which the docker CLI leaves out.
    """
    parts = path.split("/")
    folders = ["/".join(parts[:end]) for end in range(1, len(parts))]
    ignored = False
    for pattern in matcher.patterns:
        if pattern.match(path) or any(pattern.match(folder) for folder in folders):
            ignored = not pattern.exclusion
    return ignored


def labelled_build(
    files: Files,
    dockerfile: str,
    target: str | None,
    labels: Mapping[str, str],
    bases: Mapping[str, str] | None = None,
    build_args: Mapping[str, str] | None = None,
) -> tuple[dict[str, tuple[bytes, bool]], str]:
    """The files and Dockerfile name for a build whose image carries `labels`, in one LABEL step.

    The Engine's `labels` build parameter makes the classic builder add one step per label
    (~0.1 s each); a single LABEL instruction at the end of the built stage costs one. The
    instruction goes into a copy of the Dockerfile that a `.dockerignore` entry keeps out of
    the context the engine hands to COPY (the engine reads the Dockerfile before it applies the
    ignore file, as for `docker build -f -`), so the image holds exactly what it would hold
    without it. Lines before the built stage's end keep their numbers.

    `bases` maps external images (FROM, COPY --from) to the names the copy builds from instead
    (worker/bases/run_bases.py: a private copy per run).
    """
    files = dict(files)
    text = files[dockerfile][0].decode("utf-8", errors="replace")
    if not labels and not bases:
        return files, dockerfile
    parsed = parse_dockerfile(text)
    lines = rebased(text.splitlines(), parsed, bases or {}, build_args or {})
    if labels:
        quoted = json.dumps  # a double-quoted JSON string is a valid Dockerfile word for these values
        instruction = "LABEL " + " ".join(f"{key}={quoted(value)}" for key, value in sorted(labels.items()))
        at = _stage_end(parsed, target, len(lines))
        lines = [*lines[:at], instruction, *lines[at:]]
    generated = "\n".join(lines) + "\n"
    files[LABELLED_DOCKERFILE] = (generated.encode(), False)
    ignore = files.get(DOCKERIGNORE, (b"", False))[0].decode("utf-8", errors="replace")
    hidden = [LABELLED_DOCKERFILE] + ([] if DOCKERIGNORE in files else [DOCKERIGNORE])
    files[DOCKERIGNORE] = (
        ((ignore.rstrip("\n") + "\n" if ignore else "") + "\n".join(hidden) + "\n").encode(),
        False,
    )
    return files, LABELLED_DOCKERFILE


def rebased(
    lines: list[str], parsed: Dockerfile, bases: Mapping[str, str], build_args: Mapping[str, str]
) -> list[str]:
    """The lines with each external image that `bases` names replaced by its new name, in place."""
    if not bases:
        return lines
    values = {**parsed.meta_args(), **build_args}
    lines = list(lines)
    for instruction in parsed.instructions:
        if instruction.keyword == "FROM":
            prefix, word = "", (instruction.args.split() or [""])[0]
        elif instruction.keyword == "COPY":
            prefix = "--from="
            word = next((f for f in instruction.flags if f.startswith(prefix)), "").removeprefix(prefix)
        else:
            continue
        ref, at = expand(word, values), instruction.line - 1
        if word and ref in bases and prefix + word in lines[at]:
            lines[at] = lines[at].replace(prefix + word, prefix + bases[ref], 1)
    return lines


def _stage_end(parsed: Dockerfile, target: str | None, line_count: int) -> int:
    """How many lines precede the built stage's end: the next stage's FROM, or the end of the file."""
    stages = parsed.stages
    chosen = next((s.index for s in stages if target and s.name == target.lower()), len(stages) - 1)
    following = [s.line for s in stages if s.index == chosen + 1]
    return following[0] - 1 if following else line_count


def touched(files: Files, path: str) -> dict[str, tuple[bytes, bool]]:
    """The files with one of them changed: a newline appended, valid in any language."""
    content, executable = files[path]
    return {**files, path: (content + b"\n", executable)}


@dataclass(frozen=True)
class Instruction:
    line: int  # where the instruction starts, 1-based
    keyword: str  # upper case
    args: str  # the rest of the logical line, continuations joined
    flags: tuple[str, ...] = ()  # leading --name=value options


@dataclass(frozen=True)
class Stage:
    index: int
    base: str  # what FROM names: an image, "scratch" or an earlier stage
    name: str  # "" when the stage has no AS name
    line: int


@dataclass(frozen=True)
class Dockerfile:
    directives: tuple[tuple[int, str, str], ...]  # (line, name, value) parser directives
    instructions: tuple[Instruction, ...]

    @property
    def stages(self) -> tuple[Stage, ...]:
        stages = []
        for instruction in self.instructions:
            if instruction.keyword == "FROM":
                words = instruction.args.split()
                name = words[2].lower() if len(words) >= 3 and words[1].lower() == "as" else ""
                stages.append(Stage(len(stages), words[0] if words else "", name, instruction.line))
        return tuple(stages)

    def meta_args(self) -> dict[str, str]:
        """ARG defaults declared before the first FROM: the only variables FROM may use."""
        values = {}
        for instruction in self.instructions:
            if instruction.keyword == "FROM":
                break
            if instruction.keyword == "ARG":
                name, _, default = instruction.args.partition("=")
                values[name.strip()] = default.strip().strip("\"'")
        return values

    def base_of(self, target: str | None = None, build_args: Mapping[str, str] | None = None) -> str:
        """The external image the target stage (or the last one) starts from, following stage names."""
        stages = self.stages
        if not stages:
            return ""
        values = {**self.meta_args(), **(build_args or {})}
        wanted = [s for s in stages if target and s.name == target.lower()]
        stage = wanted[0] if wanted else stages[-1]
        for _ in range(len(stages)):
            base = expand(stage.base, values)
            earlier = [s for s in stages[: stage.index] if s.name and s.name == base.lower()]
            if not earlier:
                return base
            stage = earlier[-1]
        return ""

    def external_refs(self, build_args: Mapping[str, str] | None = None) -> list[str]:
        """Images the build reads from the engine: FROM and COPY --from that are not stages or scratch."""
        values = {**self.meta_args(), **(build_args or {})}
        names: set[str] = set()
        refs: list[str] = []
        stages, stage_count = self.stages, 0
        for instruction in self.instructions:
            ref = ""
            if instruction.keyword == "FROM":
                stage = stages[stage_count]
                stage_count += 1
                ref = expand(stage.base, values)
                if stage.name:
                    names.add(stage.name)
            elif instruction.keyword == "COPY":
                ref = next((f.split("=", 1)[1] for f in instruction.flags if f.startswith("--from=")), "")
                ref = "" if ref.isdigit() else expand(ref, values)
            if ref and ref != "scratch" and ref.lower() not in names and ref not in refs:
                refs.append(ref)
        return refs


def expand(text: str, values: Mapping[str, str]) -> str:
    """$NAME and ${NAME} replaced by their values (unknown names become empty, as in the builder)."""
    return _VARIABLE.sub(lambda m: values.get(m.group(1) or m.group(2), ""), text)


def parse_dockerfile(text: str) -> Dockerfile:
    """Split a Dockerfile into parser directives and logical instructions, as the classic builder does.

    Handles the escape directive, line continuations, and comments or blank lines
    inside continuations. It does not judge the instructions: that is the policy's job.
    """
    lines = text.splitlines()
    directives = []
    position = 0
    while position < len(lines):
        match = _DIRECTIVE.match(lines[position].strip())
        if not match:
            break
        directives.append((position + 1, match.group(1).lower(), match.group(2)))
        position += 1
    escape = next((value for _, name, value in directives if name == "escape"), "\\") or "\\"
    instructions: list[Instruction] = []
    pending, start = "", 0
    for number, raw in enumerate(lines[position:], start=position + 1):
        stripped = raw.strip()
        if not stripped or stripped.startswith("#"):
            continue  # comments and blank lines end nothing, even inside a continuation
        if not pending:
            start = number
        body = raw.rstrip()
        if body.endswith(escape):
            pending += body[: -len(escape)]
            continue
        instructions.append(_instruction(start, pending + body))
        pending = ""
    if pending.strip():
        instructions.append(_instruction(start, pending))
    return Dockerfile(tuple(directives), tuple(instructions))


def _instruction(line: int, text: str) -> Instruction:
    keyword, rest = [*text.split(None, 1), ""][:2]
    flags = []
    if keyword.upper() in _FLAGGED:
        for word in rest.split():
            if not word.startswith("--"):
                break
            flags.append(word)
    args = rest.strip()
    for flag in flags:
        args = args.removeprefix(flag).lstrip()
    return Instruction(line, keyword.upper(), args, tuple(flags))
