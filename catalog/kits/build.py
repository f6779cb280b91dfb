"""Write a workshop's offline kit: one .tar.gz that is the same bytes whenever the catalog is the same.

Inside `<name>-kit/`: README.txt, load.sh, check.sh and checks/ (catalog/kits/checks.py), site/
(the slides, handout and pattern pages for a browser, from file://: catalog/kits/static_export.py),
manifest.json, SHA256SUMS, images.tar (the bases, worker/kits/images.py) and
examples/NN-<pattern>--<example>/ in agenda order. Members are
sorted, owned by root, dated 0; the gzip header carries no name or time. Beside the archive,
`<name>.json` gives the archive's own size and checksum, which cannot be inside it.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import os
import tarfile
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import docker

from catalog.kits.checks import command_files, kit_conf
from catalog.kits.plan import KitPlan, disk_after_loading
from catalog.kits.scripts import LOAD_SH, readme_text
from catalog.kits.static_export import export_site
from worker.kits.images import fixed_info, image_architectures, save_images

KIT_FORMAT = 1
_BLOCK = 1024 * 1024


@dataclass(frozen=True)
class BuiltKit:
    archive: Path
    description: Path  # <name>.json: the archive's size and checksum, and its manifest
    size: int
    sha256: str


def build_kit(
    client: docker.DockerClient, plan: KitPlan, out_dir: Path, say: Callable[[str], None] = print
) -> BuiltKit:
    out_dir.mkdir(parents=True, exist_ok=True)
    root = f"{plan.name}-kit"
    with tempfile.TemporaryDirectory(prefix="kit-", dir=out_dir) as work:
        images = Path(work) / "images.tar"
        say(f"saving {len(plan.bases)} base image(s): {', '.join(plan.bases) or 'none'}")
        save_images(client, plan.bases, images)
        entries: dict[str, bytes | Path] = {"images.tar": images, "load.sh": LOAD_SH.encode()}
        entries["README.txt"] = readme_text(plan).encode()
        entries.update(command_files(plan))
        say("exporting the slides, handout and pattern pages")
        entries.update(export_site(plan))
        modes = {name: 0o755 for name in entries if name.endswith(".sh")}
        for example in plan.examples:
            for path, content, executable in example.files:
                entries[f"{example.folder}/{path}"] = content
                if executable:
                    modes[f"{example.folder}/{path}"] = 0o755
        # Its disk figure counts every file but itself (a few hundred bytes, within the rounding up).
        images_tar = images.stat().st_size
        files = sum(size_of(source) for name, source in entries.items() if name != "images.tar")
        architectures = image_architectures(client, plan.bases)
        entries["checks/kit.conf"] = kit_conf(
            plan, architectures, images_tar, disk_after_loading(images_tar, files)
        )
        say("computing checksums")
        sums = {name: file_digest(source) for name, source in sorted(entries.items())}
        manifest = manifest_of(plan, entries, sums, architectures)
        entries["manifest.json"] = json.dumps(manifest, indent=2, sort_keys=True).encode() + b"\n"
        sums["manifest.json"] = file_digest(entries["manifest.json"])
        entries["SHA256SUMS"] = "".join(f"{sums[name]}  {name}\n" for name in sorted(sums)).encode()
        partial = Path(work) / "kit.tar.gz"
        say(f"writing {partial.name}")
        write_archive(partial, root, entries, modes)
        archive = out_dir / f"{plan.name}.tar.gz"
        size, digest = partial.stat().st_size, file_digest(partial)
        os.replace(partial, archive)
    description = out_dir / f"{plan.name}.json"
    described = {"archive": archive.name, "size": size, "sha256": digest, "manifest": manifest}
    description.write_text(json.dumps(described, indent=2, sort_keys=True) + "\n")
    return BuiltKit(archive, description, size, digest)


def manifest_of(
    plan: KitPlan, entries: dict[str, bytes | Path], sums: dict[str, str], architectures: list[str]
) -> dict:
    images_tar = size_of(entries["images.tar"])
    files = sum(size_of(source) for name, source in entries.items() if name != "images.tar")
    return {
        "kit_format": KIT_FORMAT,
        "workshop": plan.workshop.slug,
        "title": plan.workshop.title,
        "cut": plan.cut.name if plan.cut else None,
        "examples": [
            {"folder": e.folder, "pattern": e.pattern, "example": e.slug, "commands": len(e.commands)}
            for e in plan.examples
        ],
        "images": list(plan.bases),
        "architectures": architectures,
        "sizes": {
            "images_tar": images_tar,
            "other_files": files,
            "disk_needed_after_loading": disk_after_loading(images_tar, files),
        },
        "files": [
            {"path": name, "size": size_of(entries[name]), "sha256": sums[name]} for name in sorted(sums)
        ],
    }


def write_archive(target: Path, root: str, entries: dict[str, bytes | Path], modes: dict[str, int]) -> None:
    with (
        target.open("wb") as raw,
        gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as packed,
        tarfile.open(fileobj=packed, mode="w", format=tarfile.PAX_FORMAT) as tar,
    ):
        for name in sorted(entries):
            source = entries[name]
            info = fixed_info(f"{root}/{name}", modes.get(name, 0o644))
            info.size = size_of(source)
            if isinstance(source, Path):
                with source.open("rb") as data:
                    tar.addfile(info, data)
            else:
                tar.addfile(info, io.BytesIO(source))


def size_of(source: bytes | Path) -> int:
    return source.stat().st_size if isinstance(source, Path) else len(source)


def file_digest(source: bytes | Path) -> str:
    if isinstance(source, bytes):
        return hashlib.sha256(source).hexdigest()
    digest = hashlib.sha256()
    with source.open("rb") as data:
        while block := data.read(_BLOCK):
            digest.update(block)
    return digest.hexdigest()
