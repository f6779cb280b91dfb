"""What the loader reads from patterns/: plain dataclasses, and the error that names file and field."""

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from worker.yaml_text import parse_yaml

SCENARIO_FILE = "example.yaml"  # every example folder's scenario
MOST_FILE_BYTES = 256 * 1024  # of any one file the loader reads


@dataclass(frozen=True)
class ContentError:
    file: str  # relative to the patterns folder
    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.field}: {self.message}" if self.field else f"{self.file}: {self.message}"


@dataclass(frozen=True)
class ExampleFileSource:
    path: str
    content: str
    executable: bool


@dataclass(frozen=True)
class MutantSource:
    undoes: str  # one sentence: what of the pattern the mutant takes away
    changed: tuple[str, ...]  # the example's paths it replaces, adds or removes, sorted
    files: tuple[ExampleFileSource, ...]  # the whole file set the mutant runs with
    drops: tuple[tuple[int, tuple[str, ...]], ...] = ()  # (step from 1, run options it goes without)
    scenario: dict | None = None  # the example's scenario without the dropped options; None: unchanged


@dataclass(frozen=True)
class ExampleSource:
    slug: str
    title: str
    summary: str
    scenario: dict
    host_access: tuple[str, ...]
    files: tuple[ExampleFileSource, ...]
    # The example with its pattern undone (catalog/content/mutants.py); run by the test suite, not
    # by the worker, so it is not part of what a verification's hash covers.
    mutant: MutantSource | None = None

    @property
    def content_hash(self) -> str:
        return digest(
            {
                "scenario": self.scenario,
                "files": [(f.path, f.content, f.executable) for f in self.files],
            }
        )


@dataclass(frozen=True)
class PatternSource:
    slug: str
    name: str
    symbol: str
    categories: tuple[str, ...]
    kind: str
    summary: str
    related: tuple[tuple[str, str], ...]  # (slug, relation) as the author wrote them
    sources: tuple[dict, ...]
    order: int
    body: str
    examples: tuple[ExampleSource, ...]
    unverifiable: str = ""

    @property
    def content_hash(self) -> str:
        fields = {
            "name": self.name,
            "symbol": self.symbol,
            "categories": self.categories,
            "kind": self.kind,
            "summary": self.summary,
            "related": self.related,
            "sources": self.sources,
            "order": self.order,
            "unverifiable": self.unverifiable,
            "body": self.body,
            "examples": [example.content_hash for example in self.examples],
        }
        return digest(fields)


def digest(data: object) -> str:
    """A stable sha256 of JSON-able data."""
    encoded = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(encoded.encode()).hexdigest()


def load_yaml(text: str, file: str, line_offset: int = 0) -> tuple[object, ContentError | None]:
    """Parse YAML; a syntax error comes back naming its line in the file."""
    data, problem = parse_yaml(text, line_offset)
    return data, ContentError(file, "", problem) if problem else None


def read_text(path: Path, file: str, errors: list) -> str | None:
    """A file of the tree as text, or None with an error: not a plain file, too large, not UTF-8, or NUL.

    A link could read a file outside the tree and a pipe would be waited on for ever; the database
    stores text without NUL characters; and a file larger than any example needs is not read at all:
    so a hostile file is refused here, beside its name, rather than later.
    """
    if path.is_symlink() or not path.is_file():
        errors.append(ContentError(file, "", "not a plain file; links, pipes and devices are not allowed"))
        return None
    if path.stat().st_size > MOST_FILE_BYTES:
        errors.append(ContentError(file, "", f"larger than {MOST_FILE_BYTES // 1024} KiB"))
        return None
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        errors.append(
            ContentError(file, "", f"not UTF-8 text: byte 0x{data[error.start]:02x} at line {line}")
        )
        return None
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        errors.append(ContentError(file, "", f"holds a NUL character at line {line}; only text is allowed"))
        return None
    return text
