"""A submission as a pattern folder: read from patterns/, composed from what was typed, checked by the loader.

The check is the one `sync_patterns` makes (catalog/content/loader.py): the submitted folder is
written to a scratch tree beside the catalog's bases.yaml and loaded as a pattern, then checked
against the catalog's other patterns (unique symbols, relations that exist). Every problem comes
back with the file, relative to the pattern's folder, and the field it is about.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import yaml

from catalog.content.loader import Tree, check_across, load_pattern, load_tree, split_front_matter
from catalog.content.sources import ContentError, PatternSource, load_yaml

README = "README.md"
# Typed as one line each; related and sources are YAML lists typed as text (see LIST_FIELDS).
LIST_FIELDS = ("categories", "related", "sources")
FIELD_ORDER = (
    "name", "symbol", "categories", "order", "kind", "summary", "related", "sources", "unverifiable",
)  # fmt: skip

Files = Mapping[str, tuple[str, bool]]  # path under the pattern folder -> (content, executable)


@dataclass(frozen=True)
class Problem:
    file: str  # relative to the pattern's folder: README.md, examples/hello/Dockerfile; "" for the folder
    field: str
    message: str

    def as_row(self) -> list[str]:
        return [self.file, self.field, self.message]


@dataclass(frozen=True)
class Checked:
    source: PatternSource | None  # None when any problem was found
    problems: tuple[Problem, ...]


def compose_readme(fields: Mapping[str, str], body: str) -> tuple[str, list[Problem]]:
    """README.md from the typed fields: the list fields are YAML of their own, parsed here so that a
    problem in one is said beside it; a field that does not parse is left out of the file."""
    meta: dict[str, object] = {}
    problems = []
    for name in FIELD_ORDER:
        raw = fields.get(name, "")
        if not isinstance(raw, str) or not raw.strip():
            continue
        if name in LIST_FIELDS:
            value, error = load_yaml(raw, README)
            if error is not None:
                problems.append(Problem(README, name, error.message))
                continue
            meta[name] = value
        elif name == "order":
            meta[name] = int(raw) if raw.strip().lstrip("-").isdigit() else raw.strip()
        else:
            meta[name] = raw.strip()
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=100)
    return f"---\n{front}---\n\n{body.strip()}\n", problems


def typed_fields(readme: str) -> tuple[dict[str, str], str]:
    """A README's front matter as the editor shows it (lists as YAML text), and its body."""
    meta, body = split_front_matter(readme, README, [])
    if meta is None:
        return {}, readme
    fields = {}
    for name, value in meta.items():
        if name in LIST_FIELDS:
            fields[name] = yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=100).strip()
        else:
            fields[str(name)] = str(value).strip()
    return fields, body


def read_pattern(patterns_dir: Path, slug: str) -> tuple[dict[str, str], str, dict[str, tuple[str, bool]]]:
    """A pattern of the catalog as a change starts from: its fields, its body and its other files."""
    folder = patterns_dir / slug
    fields, body = typed_fields((folder / README).read_text(encoding="utf-8"))
    files = {}
    for path in sorted(folder.rglob("*")):
        if path.is_file() and not path.is_symlink() and path.relative_to(folder).as_posix() != README:
            executable = bool(path.stat().st_mode & 0o100)
            files[path.relative_to(folder).as_posix()] = (path.read_text(encoding="utf-8"), executable)
    return fields, body, files


def folder_digest(readme: str, files: Files) -> str:
    """The folder's content as one hash: what a change began from, to tell whether the catalog moved."""
    digest = hashlib.sha256(readme.encode())
    for path in sorted(files):
        content, executable = files[path]
        digest.update(f"\0{path}\0{int(executable)}\0".encode() + content.encode())
    return digest.hexdigest()


_trees: dict[Path, tuple[tuple[int, int], Tree]] = {}  # per process: the catalog's tree, as last loaded


def catalog_tree(patterns_dir: Path) -> Tree:
    """The catalog's patterns as the loader reads them, loaded again only when a file of theirs changed.

    Every save of a draft is checked against them: the signature (the number of files and the newest
    change) costs a walk of a few hundred stat calls, a load of the whole tree a second.
    """
    signature = tree_signature(patterns_dir)
    known = _trees.get(patterns_dir)
    if known is None or known[0] != signature:
        known = (signature, load_tree(patterns_dir))
        _trees[patterns_dir] = known
    return known[1]


def tree_signature(root: Path) -> tuple[int, int]:
    count, newest = 0, 0
    for folder, folders, names in os.walk(root):
        for name in (*names, *folders):  # a removed or renamed file changes its folder's time
            count += 1
            newest = max(newest, os.stat(os.path.join(folder, name), follow_symlinks=False).st_mtime_ns)
    return count, newest


def check_folder(patterns_dir: Path, slug: str, readme: str, files: Files) -> Checked:
    """Load the folder as sync_patterns would, beside the catalog's bases and its other patterns.

    Its examples are checked as untrusted (worker/scenario/trust.py): a submission runs in the sandbox,
    so what that refuses (root, host access) is said beside its field before anything runs.
    """
    tree = catalog_tree(patterns_dir)
    errors: list[ContentError] = []
    with tempfile.TemporaryDirectory(prefix="catalog-submission-") as scratch:
        root = Path(scratch)
        bases = patterns_dir / "bases.yaml"
        if bases.is_file():
            (root / "bases.yaml").write_bytes(bases.read_bytes())
        write_folder(root / slug, readme, files)
        source = load_pattern(root, root / slug, set(tree.bases), errors, trust="untrusted")
    if source is not None:
        check_across([pattern for pattern in tree.patterns if pattern.slug != slug] + [source], errors)
    own = [error for error in errors if error.file == slug or error.file.startswith(f"{slug}/")]
    problems = tuple(
        Problem(error.file.removeprefix(slug).lstrip("/"), error.field, error.message) for error in own
    )
    return Checked(source if not problems else None, problems)


def write_folder(folder: Path, readme: str, files: Files) -> None:
    """The pattern folder on disk: README.md and every file, executables marked so."""
    folder.mkdir(parents=True)
    (folder / README).write_text(readme, encoding="utf-8")
    for path, (content, executable) in files.items():
        target = folder / path
        if not target.resolve().is_relative_to(folder.resolve()):  # paths were checked when saved
            raise ValueError(f"{path!r} is not inside the pattern's folder")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        if executable:
            target.chmod(0o755)
