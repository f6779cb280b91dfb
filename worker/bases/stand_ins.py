"""Offline stand-ins for base images: busybox from Debian's static binary, the rest by debootstrap."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import struct
import subprocess
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Mapping
from pathlib import Path

import docker
import requests
from docker.errors import DockerException
from docker.models.images import Image
from docker.utils import parse_repository_tag

from worker.bases.specs import (
    IMAGE_LABEL,
    RECIPE_LABEL,
    RECIPE_VERSION_LABEL,
    SOURCE_LABEL,
    STAND_IN,
    STAND_IN_VERSION,
    BaseSpec,
    OnEvent,
    ProvisionError,
    local_image,
)
from worker.bases.stand_in_rootfs import PATH, busybox_rootfs, go_paths, python_paths

BUSYBOX_BINARY = Path("/bin/busybox")
# The mirror this machine's /etc/apt/sources.list.d/debian.sources names; DEBIAN_MIRROR overrides it.
DEFAULT_MIRROR = "http://deb.debian.org/debian"
DEBOOTSTRAP_TIMEOUT = 30 * 60
TAIL_LINES = 15
# Caches, indexes, logs, documentation and translations, as debuerreotype slims debian:*-slim: nothing
# in an offline container reads them. Files go and directories stay, since some postinst scripts fail
# when /usr/share/man/man1 is missing; licences and the locale alias table stay, as in the real image.
CLEANED_DIRS = (
    *("var/lib/apt/lists", "var/cache/apt", "var/log", "tmp"),
    *(f"usr/share/{name}" for name in ("doc", "man", "info", "locale", "groff", "lintian", "linda")),
)
KEPT_FILES = {"copyright", "locale.alias"}
PT_INTERP = 3


def build_stand_in(
    client: docker.DockerClient, spec: BaseSpec, labels: Mapping[str, str], on_event: OnEvent
) -> Image:
    """Build spec.image by its offline recipe: a root filesystem imported as one labelled layer."""
    make_rootfs = ROOTFS_RECIPES.get(spec.recipe)
    if make_rootfs is None:
        raise ProvisionError(spec.image, f"unknown offline recipe {spec.recipe!r}")
    labels = {
        **labels,
        SOURCE_LABEL: STAND_IN,
        RECIPE_LABEL: spec.recipe,
        IMAGE_LABEL: spec.image,
        RECIPE_VERSION_LABEL: STAND_IN_VERSION,
    }
    workdir = Path(tempfile.mkdtemp(prefix="catalog-base-"))
    rootfs = workdir / "rootfs"
    try:
        changes = make_rootfs(spec, rootfs, on_event) + _label_changes(labels)
        return _import(client, spec.image, rootfs, changes)
    finally:
        _remove_tree(workdir)


def _busybox_rootfs(spec: BaseSpec, rootfs: Path, on_event: OnEvent) -> list[str]:
    if not BUSYBOX_BINARY.is_file():
        raise ProvisionError(spec.image, f"no {BUSYBOX_BINARY}: apt-get install busybox-static")
    if not _is_static_elf(BUSYBOX_BINARY.read_bytes()):
        # FROM scratch has no C library: a dynamically linked busybox (package busybox) cannot start.
        raise ProvisionError(
            spec.image, f"{BUSYBOX_BINARY} is not statically linked: apt-get install busybox-static"
        )
    on_event(f"making a one-layer root filesystem from {BUSYBOX_BINARY}, as the published image has")
    return busybox_rootfs(rootfs, BUSYBOX_BINARY)


def _debootstrap_rootfs(spec: BaseSpec, rootfs: Path, on_event: OnEvent) -> list[str]:
    if shutil.which("debootstrap") is None:
        raise ProvisionError(spec.image, "debootstrap is not installed: apt-get install debootstrap")
    if os.geteuid() != 0:
        raise ProvisionError(spec.image, "debootstrap needs root (it chroots and creates device nodes)")
    mirror = os.environ.get("DEBIAN_MIRROR") or DEFAULT_MIRROR
    command = ["debootstrap", f"--variant={spec.variant or 'minbase'}"]
    if spec.packages:
        command.append("--include=" + ",".join(spec.packages))
    command += [spec.suite or "bookworm", str(rootfs), mirror]
    on_event(f"running {shlex.join(command)} (takes minutes)")
    _run_debootstrap(spec.image, command, rootfs, on_event)
    for relative in CLEANED_DIRS:
        _delete_files(rootfs, rootfs / relative)
    changes = _finish_rootfs(spec, rootfs)
    on_event("importing the root filesystem into the engine")
    return changes


# Each recipe (specs.RECIPES names them) fills the root filesystem and returns its image config changes.
ROOTFS_RECIPES: dict[str, Callable[[BaseSpec, Path, OnEvent], list[str]]] = {
    "busybox-static": _busybox_rootfs,
    "debootstrap": _debootstrap_rootfs,
}


def _run_debootstrap(image: str, command: list[str], rootfs: Path, on_event: OnEvent) -> None:
    """Run debootstrap, reporting the first line of each phase (Retrieving, Extracting, ...)."""
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    process = subprocess.Popen(
        command,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,  # its own group, so a timeout also stops its wget and chrooted dpkg
    )
    timer = threading.Timer(DEBOOTSTRAP_TIMEOUT, os.killpg, (process.pid, signal.SIGKILL))
    timer.start()
    try:
        assert process.stdout is not None
        phases: set[str] = set()
        for line in process.stdout:
            line = line.rstrip()
            tail.append(line)
            # One line per phase, not hundreds: per-package lines ("I: Retrieving bash 5.2", "I: Unpacking
            # bash...") count under their verb, the others ("I: Unpacking the base system...") as they are.
            words = line.split()
            per_package = len(words) == (3 if line.endswith("...") else 4)
            phase = words[1] if per_package else line
            if phase not in phases:
                phases.add(phase)
                on_event(f"debootstrap: {line}")
        returncode = process.wait()
    except BaseException:
        # In its own session Ctrl-C does not reach it: stop it before its rootfs is removed under it.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise
    finally:
        timer.cancel()
    if returncode != 0:
        # debootstrap names its own log for details; that log goes away with the rootfs, so quote it.
        log = rootfs / "debootstrap" / "debootstrap.log"
        details = log.read_text(errors="replace").splitlines()[-TAIL_LINES:] if log.is_file() else []
        why = "killed after the time limit" if returncode == -signal.SIGKILL else f"exited with {returncode}"
        raise ProvisionError(image, f"debootstrap {why}", shlex.join(command), [*tail, *details])


def _finish_rootfs(spec: BaseSpec, rootfs: Path) -> list[str]:
    """Make the rootfs behave like the image it stands in for; return the image's config changes."""
    env = {"PATH": PATH}
    changes: list[str] = []
    if os.path.lexists(rootfs / "usr/bin/python3"):
        env = python_paths(rootfs)
    goroots = sorted((rootfs / "usr/lib").glob("go-*"))
    if goroots:
        env = go_paths(rootfs, goroots[-1])
        changes.append("WORKDIR /go")
    changes += [f"ENV {key}={value}" for key, value in env.items()]
    wants_python = any(package.startswith("python3") for package in spec.packages)
    changes.append('CMD ["python3"]' if wants_python else 'CMD ["bash"]')
    return changes


def _label_changes(labels: Mapping[str, str]) -> list[str]:
    return [f"LABEL {key}={json.dumps(value)}" for key, value in sorted(labels.items())]


def _import(client: docker.DockerClient, ref: str, rootfs: Path, changes: list[str]) -> Image:
    """Stream a tar of rootfs into the engine as a one-layer image tagged ref."""
    repository, tag = parse_repository_tag(ref)
    excluded = [f"--exclude=./{name}/*" for name in ("dev", "proc", "sys", "debootstrap")]
    command = ["tar", "--numeric-owner", "--xattrs", "-C", str(rootfs), *excluded, "-cf", "-", "."]
    with tempfile.TemporaryFile() as errors:
        # stderr to a file, not a pipe: nobody reads it while the engine drains stdout.
        tar = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=errors)
        try:
            result = client.api.import_image(
                src=tar.stdout, repository=repository, tag=tag, changes=changes, stream_src=True
            )
        except (DockerException, requests.RequestException) as error:
            tar.kill()
            raise ProvisionError(ref, f"the engine refused the import: {error}", "docker import -") from error
        finally:
            assert tar.stdout is not None
            tar.stdout.close()
            returncode = tar.wait()
        errors.seek(0)
        tar_output = errors.read().decode(errors="replace").splitlines()[-TAIL_LINES:]
    image = local_image(client, ref)
    if returncode != 0 or image is None:
        if image is not None:
            client.images.remove(image.id, force=True)  # a truncated tar imported as a broken image
        raise ProvisionError(
            ref, "importing the root filesystem failed", shlex.join(command), [*tar_output, str(result)]
        )
    return image


def _within(rootfs: Path, path: Path) -> bool:
    # Absolute symlinks in a rootfs (var/run -> /run) point at the host: never follow one out.
    return os.path.realpath(path).startswith(os.path.realpath(rootfs) + os.sep)


def _delete_files(rootfs: Path, top: Path) -> None:
    """Delete the files and symlinks under top except KEPT_FILES, never leaving rootfs; directories stay."""
    if not _within(rootfs, top):
        return
    for folder, _, names in os.walk(top):  # os.walk follows no symlinked directory
        for name in names:
            if name not in KEPT_FILES:
                os.unlink(os.path.join(folder, name))


def _remove_tree(path: Path) -> None:
    """Remove a debootstrap work directory, first detaching any mount a failed run left inside it."""
    prefix = f"{path}/"
    mounts = [line.split()[4] for line in Path("/proc/self/mountinfo").read_text().splitlines()]
    for mount in sorted((m for m in mounts if m.startswith(prefix)), reverse=True):
        subprocess.run(["umount", "--lazy", mount], check=False)
    # --one-file-system: should a mount survive, rm stops at it rather than emptying the host's /proc or /sys.
    subprocess.run(["rm", "-rf", "--one-file-system", str(path)], check=False)


def _is_static_elf(data: bytes) -> bool:
    """True for an ELF executable with no program interpreter (PT_INTERP), i.e. statically linked."""
    if data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        return False
    wide, order = data[4] == 2, "<>"[data[5] - 1]  # ELF64 or ELF32; little- or big-endian
    (phoff,) = struct.unpack_from(order + ("Q" if wide else "I"), data, 0x20 if wide else 0x1C)
    entsize, count = struct.unpack_from(order + "HH", data, 0x36 if wide else 0x2A)
    types = [struct.unpack_from(order + "I", data, phoff + i * entsize)[0] for i in range(count)]
    return PT_INTERP not in types
