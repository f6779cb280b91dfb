"""A workshop kit's base images as one `docker load` archive: every layer once, the same bytes each time.

`docker save` is asked for one image at a time (the SDK's call takes one name) and the archives
are merged: members with the same name are the same layer (the engine names a layer's folder
after its chain), and the `manifest.json` lists and `repositories` maps are joined. The result
is written with members sorted and fixed owners, modes and times, so that two kits built from
the same images are byte-identical; `docker load` reads only names and contents.
"""

from __future__ import annotations

import io
import json
import shutil
import tarfile
import tempfile
from collections.abc import Sequence
from pathlib import Path

import docker

from worker.bases.run_bases import SAVE_CHUNK, SaveStreamReader
from worker.engine.client import engine_errors


def image_architectures(client: docker.DockerClient, refs: Sequence[str]) -> list[str]:
    """The architectures of these images, as the engine names them (amd64, arm64): each once, sorted."""
    with engine_errors():
        return sorted({client.api.inspect_image(ref)["Architecture"] for ref in refs})


def save_images(client: docker.DockerClient, refs: Sequence[str], target: Path) -> None:
    """Write one archive that loads every image in `refs` under its tag."""
    saved = _Saved()
    with tempfile.TemporaryDirectory(prefix="kit-images-", dir=target.parent) as spool:
        for ref in refs:
            with engine_errors():
                stream = client.api.get_image(ref, chunk_size=SAVE_CHUNK)
                with tarfile.open(fileobj=SaveStreamReader(stream), mode="r|") as archive:
                    saved.take(archive, Path(spool))
        with target.open("wb") as out, tarfile.open(fileobj=out, mode="w", format=tarfile.PAX_FORMAT) as tar:
            for name, source in sorted(saved.members().items()):
                info = fixed_info(name)
                info.size = len(source) if isinstance(source, bytes) else source.stat().st_size
                with io.BytesIO(source) if isinstance(source, bytes) else source.open("rb") as data:
                    tar.addfile(info, data)


class _Saved:
    """What the save archives held so far: the joined lists, and each other member once, spooled."""

    def __init__(self):
        self.manifest: list = []
        self.repositories: dict = {}
        self.files: dict[str, Path] = {}

    def take(self, archive: tarfile.TarFile, spool: Path) -> None:
        for member in archive:
            if not member.isfile() or member.name in self.files:  # a layer another base already brought
                continue
            data = archive.extractfile(member)
            if member.name == "manifest.json":
                self.manifest += json.load(data)
            elif member.name == "repositories":
                for name, tags in json.load(data).items():
                    self.repositories.setdefault(name, {}).update(tags)
            else:
                kept = spool / str(len(self.files))
                with kept.open("wb") as out:
                    shutil.copyfileobj(data, out, 1024 * 1024)
                self.files[member.name] = kept

    def members(self) -> dict[str, bytes | Path]:
        return {
            **self.files,
            "manifest.json": json.dumps(self.manifest, sort_keys=True).encode(),
            "repositories": json.dumps(self.repositories, sort_keys=True).encode(),
        }


def fixed_info(name: str, mode: int = 0o644) -> tarfile.TarInfo:
    """A member header that depends on nothing but the name and mode: owner root, time 0."""
    info = tarfile.TarInfo(name)
    info.mode, info.mtime, info.uid, info.gid, info.uname, info.gname = mode, 0, 0, 0, "", ""
    return info
