"""An accepted submission as a `git format-patch` mail, for the catalog's repository to apply with `git am`.

The hunks are the reviewer's diff (catalog/submissions/diffs.py); paths are under patterns/<slug>/,
as in the repository. Blob ids are git's own (SHA-1 of "blob <size>\\0<content>"), so `git am -3`
can fall back to a three-way merge when the repository moved meanwhile.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import datetime
from email.header import Header
from email.utils import format_datetime

from catalog.submissions.diffs import FileDiff

NO_BLOB = "0" * 40
CONTRIBUTORS_DOMAIN = "contributors.invalid"


@dataclass(frozen=True)
class PatchMail:
    author_name: str
    author_username: str
    date: datetime
    subject: str  # without the "[PATCH] " prefix
    body: str  # the commit message after the subject


def blob_id(content: str) -> str:
    data = content.encode()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def mode(executable: bool) -> str:
    return "100755" if executable else "100644"


def git_diff(diff: FileDiff, prefix: str) -> str:
    """One file's part of the patch: the git headers, then its hunks ("" when it did not change)."""
    path = f"{prefix}{diff.path}"
    before, after = diff.before, diff.after
    head = [f"diff --git a/{path} b/{path}\n"]
    if before is None and after is not None:
        head += [f"new file mode {mode(after[1])}\n", f"index {NO_BLOB}..{blob_id(after[0])}\n"]
    elif after is None and before is not None:
        head += [f"deleted file mode {mode(before[1])}\n", f"index {blob_id(before[0])}..{NO_BLOB}\n"]
    elif before is not None and after is not None:
        if diff.status == "unchanged":
            return ""
        if before[1] != after[1]:
            head += [f"old mode {mode(before[1])}\n", f"new mode {mode(after[1])}\n"]
        if diff.hunks:
            index = f"index {blob_id(before[0])}..{blob_id(after[0])}"
            head.append(f"{index}\n" if before[1] != after[1] else f"{index} {mode(after[1])}\n")
    if diff.hunks:
        old = f"a/{path}" if before is not None else "/dev/null"
        new = f"b/{path}" if after is not None else "/dev/null"
        head += [f"--- {old}\n", f"+++ {new}\n"]
    return "".join(head + list(diff.hunks))


def format_patch(mail: PatchMail, diffs: list[FileDiff], prefix: str) -> str:
    """The mail `git format-patch` would write for one commit of these changes."""
    parts = [git_diff(diff, prefix) for diff in diffs]
    changed = [diff for diff, part in zip(diffs, parts, strict=True) if part]
    diff_text = "".join(parts)
    commit = hashlib.sha1(f"{mail.subject}\n{mail.body}\n{diff_text}".encode()).hexdigest()
    stat = (
        f" {len(changed)} file{'s' if len(changed) != 1 else ''} changed, "
        f"{sum(diff.added for diff in changed)} insertions(+), "
        f"{sum(diff.removed for diff in changed)} deletions(-)\n"
    )
    if any("\r" in line for diff in changed for line in diff.hunks):
        # `git am` drops a carriage return at a line's end unless told to keep it (text typed in a
        # browser's form comes with CRLF); what follows "---" is not part of the commit message.
        stat += " Some lines end in CRLF: apply with `git am --keep-cr`.\n"
    subject = " ".join(f"[PATCH] {mail.subject}".split())  # one line, whatever was typed
    name = " ".join(re.sub(r'[<>"\\]', "", mail.author_name).split()) or mail.author_username
    local = re.sub(r"[^A-Za-z0-9._+-]", "-", mail.author_username)  # a user name may hold '@'
    headers = [
        f"From {commit} Mon Sep 17 00:00:00 2001",
        f"From: {header_text(name)} <{local}@{CONTRIBUTORS_DOMAIN}>",
        f"Date: {format_datetime(mail.date)}",
        f"Subject: {header_text(subject)}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=UTF-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    return "\n".join(headers) + f"\n\n{mail.body.strip()}\n---\n{stat}\n{diff_text}-- \n"


def header_text(text: str) -> str:
    """A header's words as they are when ASCII, else RFC 2047 encoded (git mailinfo decodes both)."""
    return text if text.isascii() else Header(text, "utf-8", maxlinelen=10_000).encode()
