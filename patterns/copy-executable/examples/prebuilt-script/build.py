#!/usr/bin/env python3
"""The project's build tool: bundle the shell modules of src/ into one executable, dist/app.

It runs where the developer or the CI works, before `docker build`. The Dockerfile
never runs it; it only copies what it wrote. Standard library only.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent
MODULES = ["src/greet.sh", "src/main.sh"]  # in the order the bundle needs them
OUTPUT = ROOT / "dist" / "app"


def code_lines(text: str) -> list[str]:
    """A module's lines without comments and blank lines."""
    return [line for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]


def main() -> None:
    version = (ROOT / "VERSION").read_text(encoding="utf-8").strip()
    lines = [
        "#!/bin/sh",
        f"# app {version}, written by build.py from {' and '.join(MODULES)}: edit those, then build again.",
        "set -eu",
        f"APP_VERSION={version}",
    ]
    for module in MODULES:
        lines += code_lines((ROOT / module).read_text(encoding="utf-8"))
    OUTPUT.parent.mkdir(exist_ok=True)
    OUTPUT.write_text("\n".join(lines) + "\n", encoding="utf-8")
    OUTPUT.chmod(0o755)
    print(f"built {OUTPUT.relative_to(ROOT)}: {len(lines)} lines")


if __name__ == "__main__":
    main()
