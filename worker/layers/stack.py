"""Layers applied in order to a filesystem of metadata: each layer's changes, and every version that dies.

The rules are the OCI image spec's (layer.md): a layer's whiteouts and opaque markers
apply only to the layers below it, so all deletions happen before any addition. A file
version is an inode: the names a layer hard-links together share one, its bytes count
once, and it dies (becomes reclaimable) only when its last visible name goes.
"""

from __future__ import annotations

import heapq
import posixpath
from collections.abc import Iterable, Iterator
from typing import NamedTuple

from worker.layers.entries import (
    DIRECTORY,
    HARDLINK,
    OPAQUE_KIND,
    REGULAR,
    SYMLINK,
    WHITEOUT_KIND,
    Entry,
)

MAX_CHANGES_PER_LAYER = 2_000  # stored per layer, largest first; the totals always count every change
# What a layer did to a path, and why the version below it died (when it did).
CHANGE_REASONS = {
    "added": "",
    "modified": "overwritten",  # new content, or a different kind of entry
    "metadata-copy": "metadata-copy",  # same digest, other mode/uid/gid/xattrs: chmod, chown, setcap
    "hardlink-copy": "hardlink-copy",  # same file, copied up because this layer hard-linked it
    "rewritten": "overwritten",  # same digest and metadata, written again (COPY of an identical file)
    "removed": "deleted",
}
REASONS = ("deleted", "overwritten", "metadata-copy", "hardlink-copy", "opaque-replaced")


class Change(NamedTuple):
    change: str  # a key of CHANGE_REASONS
    path: str
    type: str  # file, dir, symlink, hardlink, other
    bytes: int  # the version's bytes, counted on one name of a hard-linked group; 0 for the others
    link: str = ""


class Edge(NamedTuple):
    """A file version that is not in the final filesystem: who wrote it, who hid it, and how."""

    written_by: int
    hidden_by: int
    path: str  # the last visible name of the version
    bytes: int
    reason: str


class LayerChanges:
    """What one layer did, with exact totals and the largest MAX_CHANGES_PER_LAYER changes."""

    def __init__(self, cap: int = MAX_CHANGES_PER_LAYER):
        self.totals: dict[str, list[int]] = {change: [0, 0] for change in CHANGE_REASONS}
        self.content_bytes = 0  # regular files written, hard links once
        self.symlink_bytes = 0  # symlink target lengths: the engine's layer size counts them
        self.files = 0
        self.directories = 0
        self._cap = cap
        self._kept: list[tuple[int, int, Change]] = []
        self._seen = 0

    def record(self, change: Change) -> None:
        total = self.totals[change.change]
        total[0] += 1
        total[1] += change.bytes
        self._seen += 1
        item = (change.bytes, -self._seen, change)  # ties keep the earlier change
        if len(self._kept) < self._cap:
            heapq.heappush(self._kept, item)
        else:
            heapq.heappushpop(self._kept, item)

    @property
    def truncated(self) -> bool:
        return self._seen > len(self._kept)

    def kept(self) -> tuple[Change, ...]:
        return tuple(sorted((item[2] for item in self._kept), key=lambda change: change.path))


class _Inode:
    __slots__ = ("digest", "names", "size", "written_by")

    def __init__(self, size: int, digest: bytes, written_by: int):
        self.size, self.digest, self.written_by, self.names = size, digest, written_by, 0


class _Node:
    __slots__ = ("gid", "inode", "kind", "link", "mode", "uid", "xattrs")

    def __init__(self, kind: str, entry: Entry | None = None, inode: _Inode | None = None):
        self.kind = kind  # REGULAR (hard links included), DIRECTORY, SYMLINK or "other"
        self.mode = entry.mode if entry else 0o755
        self.uid = entry.uid if entry else 0
        self.gid = entry.gid if entry else 0
        self.xattrs = entry.xattrs if entry else ()
        self.link = entry.link if entry and kind == SYMLINK else ""
        self.inode = inode

    def same_metadata(self, entry: Entry) -> bool:
        mine = (self.mode, self.uid, self.gid, self.xattrs)
        return mine == (entry.mode, entry.uid, entry.gid, entry.xattrs)


class FinalFile(NamedTuple):
    path: str
    bytes: int
    digest: bytes
    layer: int
    inode: int  # equal for the names of one hard-linked file


class LayerStack:
    """The filesystem so far; apply() layers oldest first."""

    def __init__(self) -> None:
        self._nodes: dict[str, _Node] = {"/": _Node(DIRECTORY)}
        self._children: dict[str, set[str]] = {"/": set()}
        self.edges: list[Edge] = []
        self.written_bytes = 0

    def apply(self, index: int, entries: Iterable[Entry], cap: int = MAX_CHANGES_PER_LAYER) -> LayerChanges:
        entries = tuple(entries)
        changes = LayerChanges(cap)
        for entry in entries:
            if entry.kind == WHITEOUT_KIND and entry.path != "/" and entry.path in self._nodes:
                self._remove(entry.path, index, "deleted", changes)
            elif entry.kind == OPAQUE_KIND and self._nodes.get(entry.path, _NONE).kind == DIRECTORY:
                for child in sorted(self._children[entry.path]):
                    self._remove(child, index, "opaque-replaced", changes)
        plan = self._plan_files(index, entries, changes)
        for entry in entries:
            if entry.kind in (REGULAR, HARDLINK):
                self._add_file(entry, plan, index, changes)
            elif entry.kind == DIRECTORY:
                self._add_directory(entry, index, changes)
            elif entry.kind not in (WHITEOUT_KIND, OPAQUE_KIND):
                if entry.kind == SYMLINK:
                    changes.symlink_bytes += len(entry.link.encode("utf-8", "surrogateescape"))
                self._add_other(entry, index, changes)
        return changes

    def final_files(self) -> Iterator[FinalFile]:
        """Every regular file name in the filesystem now, hard-linked names included."""
        for path, node in self._nodes.items():
            if node.kind == REGULAR and node.inode is not None:
                inode = node.inode
                yield FinalFile(path, inode.size, inode.digest, inode.written_by, id(inode))

    def _plan_files(self, index: int, entries: tuple[Entry, ...], changes: LayerChanges) -> dict:
        """Per file name of this layer: (inode, change, owner), deciding each hard-linked group as a whole.

        Which name of a group is the tar's regular member depends on the walk order, so
        `ln /data/f.bin /data/a-link` stores a-link as the file and f.bin as the link; the
        copy-up is the name that existed below with the same content, wherever it sits.
        The owner is the one name of the group that shows the group's bytes.
        """
        groups: dict[str, list[Entry]] = {}
        group_of: dict[str, str] = {}
        for entry in entries:
            if entry.kind == REGULAR:
                groups[entry.path] = [entry]
                group_of[entry.path] = entry.path
            elif entry.kind == HARDLINK and entry.link in group_of:
                group_of[entry.path] = group_of[entry.link]
                groups[group_of[entry.path]].append(entry)
        plan: dict[str, tuple[_Inode, str, str]] = {}
        for names in groups.values():
            inode = _Inode(names[0].size, names[0].digest, index)
            self.written_bytes += inode.size
            changes.content_bytes += inode.size
            changes.files += 1
            kinds = [self._classify(entry, inode, linked=len(names) > 1) for entry in names]
            # The group's bytes are shown on the name that was copied up, else on the first name.
            owner = names[next((i for i, kind in enumerate(kinds) if kind != "added"), 0)].path
            for entry, kind in zip(names, kinds, strict=True):
                plan[entry.path] = (inode, kind, owner)
        return plan

    def _classify(self, entry: Entry, inode: _Inode, linked: bool) -> str:
        lower = self._nodes.get(entry.path)
        if lower is None:
            return "added"
        if lower.kind != REGULAR or lower.inode is None or lower.inode.digest != inode.digest:
            return "modified"
        if not lower.same_metadata(entry):
            return "metadata-copy"
        return "hardlink-copy" if linked else "rewritten"

    def _add_file(self, entry: Entry, plan: dict, index: int, changes: LayerChanges) -> None:
        if entry.path in plan:
            inode, change, owner = plan[entry.path]
        else:  # a hard link to a name in a lower layer: one more name for that version, no bytes
            target = self._nodes.get(entry.link)
            if target is None or target.kind != REGULAR or target.inode is None:
                self._add_other(entry, index, changes)
                return
            inode, owner = target.inode, entry.link
            change = "added" if entry.path not in self._nodes else "modified"
        reason = CHANGE_REASONS[change] or "overwritten"
        self._replace(entry.path, _Node(REGULAR, entry, inode), index, reason, changes)
        inode.names += 1
        if owner == entry.path:
            changes.record(Change(change, entry.path, "file", inode.size))
        else:
            changes.record(Change(change, entry.path, "hardlink", 0, owner))

    def _add_directory(self, entry: Entry, index: int, changes: LayerChanges) -> None:
        changes.directories += 1
        lower = self._nodes.get(entry.path)
        if lower is not None and lower.kind == DIRECTORY:
            # Every layer repeats the parents of what it wrote: only a real metadata change is a change.
            if not lower.same_metadata(entry):
                lower.mode, lower.uid, lower.gid = entry.mode, entry.uid, entry.gid
                lower.xattrs = entry.xattrs
                changes.record(Change("modified", entry.path, "dir", 0))
            return
        change = "added" if lower is None else "modified"
        self._replace(entry.path, _Node(DIRECTORY, entry), index, "overwritten", changes)
        changes.record(Change(change, entry.path, "dir", 0))

    def _add_other(self, entry: Entry, index: int, changes: LayerChanges) -> None:
        lower = self._nodes.get(entry.path)
        kind = SYMLINK if entry.kind == SYMLINK else "other"
        self._replace(entry.path, _Node(kind, entry), index, "overwritten", changes)
        changes.record(Change("added" if lower is None else "modified", entry.path, kind, 0, entry.link))

    def _replace(self, path: str, node: _Node, index: int, reason: str, changes: LayerChanges) -> None:
        lower = self._nodes.get(path)
        if lower is None:
            parent = self._ensure_directory(posixpath.dirname(path))
            self._children[parent].add(path)
        elif lower.kind == DIRECTORY:
            # A file where a directory was hides the whole directory.
            for child in sorted(self._children.pop(path)):
                self._remove(child, index, reason, changes)
        elif lower.inode is not None:
            self._unname(lower.inode, path, index, reason)
        self._nodes[path] = node
        if node.kind == DIRECTORY:
            self._children.setdefault(path, set())

    def _remove(self, path: str, index: int, reason: str, changes: LayerChanges) -> None:
        """Remove a name and everything under it, in this layer, for this reason."""
        node = self._nodes.pop(path)
        self._children.get(posixpath.dirname(path), set()).discard(path)
        freed = 0
        if node.kind == DIRECTORY:
            for child in sorted(self._children.pop(path, ())):
                self._remove(child, index, reason, changes)
        elif node.inode is not None:
            freed = self._unname(node.inode, path, index, reason)
        changes.record(Change("removed", path, node.kind, freed, node.link))

    def _unname(self, inode: _Inode, path: str, index: int, reason: str) -> int:
        """One name of a version gone; when it was the last, the version is dead. Returns the bytes freed."""
        inode.names -= 1
        if inode.names:
            return 0
        self.edges.append(Edge(inode.written_by, index, path, inode.size, reason))
        return inode.size

    def _ensure_directory(self, path: str) -> str:
        """A directory the layer did not list (tars need not list parents) is made with default metadata."""
        if path not in self._nodes:
            parent = self._ensure_directory(posixpath.dirname(path))
            self._children[parent].add(path)
            self._nodes[path] = _Node(DIRECTORY)
            self._children[path] = set()
        return path


_NONE = _Node("none")
