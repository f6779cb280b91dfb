"""A submitted folder against the catalog's, file by file: the hunks a reviewer reads and git applies.

Both sides are whole pattern folders, README.md included, as {path: (content, executable)}. The
catalog's side is its files as they are on disk (the README as written, not as the editor would
compose it), so that the patch made from the same hunks applies to the catalog's repository.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

from catalog.submissions.drafts import files_of
from catalog.submissions.folder import README, compose_readme, folder_digest, read_pattern
from catalog.submissions.models import Submission

Folder = dict[str, tuple[str, bool]]  # path under the pattern's folder -> (content, executable)
NO_NEWLINE = "\\ No newline at end of file\n"


@dataclass(frozen=True)
class FileDiff:
    path: str
    before: tuple[str, bool] | None  # None: the file is new
    after: tuple[str, bool] | None  # None: the file is removed
    hunks: tuple[str, ...]  # unified diff lines from the first "@@", each ending in a newline

    @property
    def status(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        if self.hunks:
            return "changed"
        return "mode" if self.before[1] != self.after[1] else "unchanged"

    @property
    def mode_note(self) -> str:
        if self.before is None or self.after is None or self.before[1] == self.after[1]:
            return ""
        return "Now executable." if self.after[1] else "No longer executable."

    @property
    def lines(self) -> list[tuple[str, str]]:
        """(kind, text) for the page: kind is add, remove, hunk, context or note."""
        kinds = {"+": "add", "-": "remove", "@": "hunk", "\\": "note"}
        lines = "".join(self.hunks).split("\n")[:-1]  # git's marker is a line of its own
        return [(kinds.get(line[:1], "context"), line) for line in lines]

    @property
    def added(self) -> int:
        return sum(line.startswith("+") for line in self.hunks)

    @property
    def removed(self) -> int:
        return sum(line.startswith("-") for line in self.hunks)


@dataclass(frozen=True)
class CatalogFolder:
    """The catalog's pattern folder as it is now; empty when the catalog has no such pattern."""

    files: Folder
    digest: str  # folder_digest of it as a draft would start from it ("" when there is none)


def catalog_folder(patterns_dir: Path, slug: str) -> CatalogFolder:
    readme = patterns_dir / slug / README
    if not readme.is_file():
        return CatalogFolder({}, "")
    fields, body, files = read_pattern(patterns_dir, slug)
    on_disk = {README: (readme.read_text(encoding="utf-8"), bool(readme.stat().st_mode & 0o100)), **files}
    return CatalogFolder(on_disk, folder_digest(compose_readme(fields, body)[0], files))


def submitted_folder(submission: Submission) -> Folder:
    """What accepting writes: README.md composed from the typed fields, and every other file."""
    return {README: (compose_readme(submission.fields, submission.body)[0], False), **files_of(submission)}


def folder_diff(before: Folder, after: Folder) -> list[FileDiff]:
    """Every path of either side, README.md first, then by path; unchanged files included."""
    paths = sorted(set(before) | set(after), key=lambda path: (path != README, path))
    return [file_diff(path, before.get(path), after.get(path)) for path in paths]


def file_diff(path: str, before: tuple[str, bool] | None, after: tuple[str, bool] | None) -> FileDiff:
    old = lines_of(before[0]) if before else []
    new = lines_of(after[0]) if after else []
    return FileDiff(path, before, after, tuple(hunk_lines(old, new)))


def lines_of(text: str) -> list[str]:
    """Lines as git counts them: split at newlines only (str.splitlines also splits at form feeds)."""
    lines = [line + "\n" for line in text.split("\n")]
    lines[-1] = lines[-1][:-1]
    return lines if lines[-1] else lines[:-1]


def hunk_lines(old: list[str], new: list[str]) -> list[str]:
    """The hunks of a unified diff with git's marker after a last line that has no newline."""
    hunks = []
    for line in list(difflib.unified_diff(old, new, n=3))[2:]:  # the first two are the file headers
        hunks.append(line if line.endswith("\n") else f"{line}\n{NO_NEWLINE}")
    return hunks
