"""The kit's texts: its README and load.sh (POSIX sh, no Python: attendees' machines have only Docker)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from catalog.kits.plan import KitPlan

LOAD_SH = """#!/bin/sh
# Load the workshop's base images into this machine's Docker engine, from images.tar:
# no registry and no network are used. Run it from anywhere; it finds images.tar beside itself.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
if ! docker version >/dev/null 2>&1; then
    echo "load.sh: the docker command cannot reach an engine; start Docker and run this again" >&2
    exit 1
fi
echo "loading the base images from $here/images.tar (this takes a minute)"
docker load -i "$here/images.tar"
"""


def readme_text(plan: KitPlan) -> str:
    what = f"{plan.workshop.title}" + (f" ({plan.cut.title})" if plan.cut else "")
    lines = [
        f"Offline kit: {what}",
        "",
        "Everything the workshop's exercises need, without a registry or a network:",
        "",
        "  site/index.html            the agenda, slides, handout and pattern pages, for a browser",
        "                             (opened as a file: no server and no network needed)",
        "  sha256sum -c SHA256SUMS    check that this copy is whole",
        "  sh load.sh                 load the base images (images.tar) into Docker",
        "  sh check.sh                check this machine: Docker, disk, the bases, and every example's",
        "                             commands run as the site verified them (a summary and a JSON report;",
        "                             --report <link> sends it to the trainer, --nickname NAME names you)",
        "",
        f"Base images: {', '.join(plan.bases) or 'none'}.",
        f"About {plan.disk_text} of free disk covers unpacking and loading them.",
        "",
        "Examples, in the order of the agenda (each folder is one example's files):",
        "",
    ]
    lines += [f"  {example.folder}/   {example.title}" for example in plan.examples]
    return "\n".join(lines) + "\n"
