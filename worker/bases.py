"""Base images without a registry: reuse the local image, pull it, or build an offline stand-in."""

from __future__ import annotations

import dataclasses
import io
import json
import os
import shlex
import shutil
import signal
import struct
import subprocess
import tarfile
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

import docker
import requests
import yaml
from docker.errors import DockerException, ImageNotFound
from docker.models.images import Image
from docker.utils import parse_repository_tag

SOURCE_LABEL = "catalog.base.source"
RECIPE_LABEL = "catalog.base.recipe"
IMAGE_LABEL = "catalog.base.image"
STAND_IN = "stand-in"
BUSYBOX_BINARY = Path("/bin/busybox")
# The mirror this machine's /etc/apt/sources.list.d/debian.sources names; DEBIAN_MIRROR overrides it.
DEFAULT_MIRROR = "http://deb.debian.org/debian"
# docker-py's pull() sets no read timeout; a registry that never answers must not stall provisioning.
PULL_READ_TIMEOUT = 30
DEBOOTSTRAP_TIMEOUT = 30 * 60
TAIL_LINES = 15
PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
BUSYBOX_DOCKERFILE = b"""FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]
CMD ["sh"]
"""
# Caches, indexes, logs, documentation and translations, as debuerreotype slims debian:*-slim: nothing
# in an offline container reads them. Files go and directories stay, since some postinst scripts fail
# when /usr/share/man/man1 is missing; licences and the locale alias table stay, as in the real image.
CLEANED_DIRS = (
    *("var/lib/apt/lists", "var/cache/apt", "var/log", "tmp"),
    *(f"usr/share/{name}" for name in ("doc", "man", "info", "locale", "groff", "lintian", "linda")),
)
KEPT_FILES = {"copyright", "locale.alias"}
PT_INTERP = 3

OnEvent = Callable[[str], None]


class ProvisionError(Exception):
    """A base image could not be provided: which one, the command that failed and its last output lines."""

    def __init__(self, image: str, message: str, command: str = "", output: Iterable[str] = ()) -> None:
        self.image, self.command, self.output = image, command, [line for line in output if line.strip()]
        text = f"{image}: {message}" + (f"\n  command: {command}" if command else "")
        if self.output:
            text += "\n  last output:\n" + "\n".join(f"    {line}" for line in self.output)
        super().__init__(text)


@dataclasses.dataclass(frozen=True)
class BaseSpec:
    """One entry of patterns/bases.yaml."""

    image: str
    purpose: str
    recipe: str
    suite: str = ""
    variant: str = ""
    packages: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class BaseRecord:
    """What provisioning did for one base (source) and what the image it left is (origin)."""

    image: str
    image_id: str
    source: str  # this run: "present" | "pulled" | "stand-in"
    origin: str  # the image: "pulled" | "stand-in" | "local" (made some other way, e.g. by hand)
    digest: str  # a RepoDigest when the image came from a registry
    recipe: str
    size: int
    duration: float


def read_bases(path: Path) -> list[BaseSpec]:
    """The bases a bases.yaml lists, in order; ValueError if it is not even shaped like one.

    catalog.content.bases validates the file in full (`manage.py sync_patterns` reports every problem).
    """
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        specs = []
        for entry in data.get("bases") or []:
            offline = entry.get("offline") or {}
            specs.append(
                BaseSpec(
                    image=str(entry["image"]),
                    purpose=str(entry.get("purpose", "")),
                    recipe=str(offline.get("recipe", "")),
                    suite=str(offline.get("suite", "")),
                    variant=str(offline.get("variant", "")),
                    packages=tuple(str(package) for package in offline.get("packages") or ()),
                )
            )
    except (yaml.YAMLError, AttributeError, KeyError, TypeError) as error:
        raise ValueError(f"{path}: not a list of {{image, purpose, offline}} ({error!r})") from error
    return specs


def provision(
    client: docker.DockerClient,
    spec: BaseSpec,
    *,
    try_pull: bool,
    on_event: OnEvent,
    labels: Mapping[str, str] | None = None,
) -> BaseRecord:
    """Make spec.image exist locally: reuse it, else pull it (if asked), else build the offline stand-in."""
    # labels: extra labels for a stand-in besides catalog.base.*; tests mark what they create with them.
    started = time.monotonic()
    image = _local_image(client, spec.image)
    if image is not None:
        source = "present"
    elif try_pull and (image := _pull(client, spec.image, on_event)) is not None:
        source = "pulled"
    else:
        image = _build_stand_in(client, spec, dict(labels or {}), on_event)
        source = STAND_IN
    digests = image.attrs.get("RepoDigests") or []
    return BaseRecord(
        image=spec.image,
        image_id=image.id,
        source=source,
        origin=(image.labels or {}).get(SOURCE_LABEL) or ("pulled" if digests else "local"),
        digest=digests[0] if digests else "",
        recipe=spec.recipe,
        size=int(image.attrs.get("Size") or 0),
        duration=round(time.monotonic() - started, 1),
    )


def record_provisioning(path: Path, specs: list[BaseSpec], records: list[BaseRecord]) -> None:
    """Write what was provisioned to a JSON file, keeping earlier records of bases this run skipped."""
    previous: dict[str, dict] = {}
    if path.is_file():
        try:
            previous = {entry["image"]: entry for entry in json.loads(path.read_text())["bases"]}
        except (ValueError, KeyError, TypeError):
            previous = {}  # an unreadable record is rewritten from this run
    stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    now = {record.image: {**dataclasses.asdict(record), "recorded_at": stamp} for record in records}
    entries = [now.get(spec.image) or previous.get(spec.image) for spec in specs]
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps({"bases": [entry for entry in entries if entry]}, indent=2) + "\n")
    partial.replace(path)  # the site never reads a half-written file


def _local_image(client: docker.DockerClient, ref: str) -> Image | None:
    try:
        return client.images.get(ref)
    except ImageNotFound:
        return None


def _pull(client: docker.DockerClient, ref: str, on_event: OnEvent) -> Image | None:
    """The pulled image, or None when the registry fails or is silent for PULL_READ_TIMEOUT seconds."""
    repository, tag = parse_repository_tag(ref)
    on_event(f"pulling {ref}")
    # The client is a requests.Session bound to the engine; posting ourselves gives the read timeout
    # that client.api.pull() (timeout=None) withholds.
    url = f"{client.api.base_url}/v{client.api.api_version}/images/create"
    params = {"fromImage": repository, "tag": tag or "latest"}
    try:
        with client.api.post(url, params=params, stream=True, timeout=PULL_READ_TIMEOUT) as response:
            if response.status_code >= 400:
                raise DockerException(response.json().get("message") or response.reason)
            for line in response.iter_lines():
                event = json.loads(line)
                if "errorDetail" in event or "error" in event:
                    raise DockerException((event.get("errorDetail") or {}).get("message") or event["error"])
                if event.get("status") and "progressDetail" not in event:
                    on_event(f"pull: {event.get('id', '')} {event['status']}".replace("  ", " "))
        return client.images.get(ref)
    except (DockerException, requests.RequestException, ValueError) as error:
        on_event(f"pull failed ({' '.join(str(error).split())}); building the offline stand-in")
        return None


def _build_stand_in(
    client: docker.DockerClient, spec: BaseSpec, labels: dict[str, str], on_event: OnEvent
) -> Image:
    labels |= {SOURCE_LABEL: STAND_IN, RECIPE_LABEL: spec.recipe, IMAGE_LABEL: spec.image}
    if spec.recipe == "busybox-static":
        return _build_busybox(client, spec, labels, on_event)
    if spec.recipe == "debootstrap":
        return _build_debootstrap(client, spec, labels, on_event)
    raise ProvisionError(spec.image, f"unknown offline recipe {spec.recipe!r}")


def _build_busybox(
    client: docker.DockerClient, spec: BaseSpec, labels: dict[str, str], on_event: OnEvent
) -> Image:
    if not BUSYBOX_BINARY.is_file():
        raise ProvisionError(spec.image, f"no {BUSYBOX_BINARY}: apt-get install busybox-static")
    binary = BUSYBOX_BINARY.read_bytes()
    if not _is_static_elf(binary):
        # FROM scratch has no C library: a dynamically linked busybox (package busybox) cannot start.
        raise ProvisionError(
            spec.image, f"{BUSYBOX_BINARY} is not statically linked: apt-get install busybox-static"
        )
    on_event(f"building FROM scratch with {BUSYBOX_BINARY} ({len(binary)} bytes)")
    context = _tar_of({"Dockerfile": (BUSYBOX_DOCKERFILE, 0o644), "busybox": (binary, 0o755)})
    command = f"docker build (FROM scratch + {BUSYBOX_BINARY}) -t {spec.image}"
    tail: deque[str] = deque(maxlen=TAIL_LINES)
    try:
        for event in client.api.build(
            fileobj=context,
            custom_context=True,
            tag=spec.image,
            labels=labels,
            rm=True,
            forcerm=True,
            network_mode="none",
            use_config_proxy=False,
            decode=True,
        ):
            if "errorDetail" in event or "error" in event:
                message = (event.get("errorDetail") or {}).get("message") or event.get("error", "")
                raise ProvisionError(spec.image, "the build failed", command, [*tail, message])
            text = str(event.get("stream", "")).strip()
            if text:
                tail.append(text)
                if text.startswith("Step "):
                    on_event(text)
    except DockerException as error:
        raise ProvisionError(spec.image, f"the engine refused the build: {error}", command, tail) from error
    return client.images.get(spec.image)


def _build_debootstrap(
    client: docker.DockerClient, spec: BaseSpec, labels: dict[str, str], on_event: OnEvent
) -> Image:
    if shutil.which("debootstrap") is None:
        raise ProvisionError(spec.image, "debootstrap is not installed: apt-get install debootstrap")
    if os.geteuid() != 0:
        raise ProvisionError(spec.image, "debootstrap needs root (it chroots and creates device nodes)")
    mirror = os.environ.get("DEBIAN_MIRROR") or DEFAULT_MIRROR
    command = ["debootstrap", f"--variant={spec.variant or 'minbase'}"]
    if spec.packages:
        command.append("--include=" + ",".join(spec.packages))
    workdir = Path(tempfile.mkdtemp(prefix="catalog-base-"))
    rootfs = workdir / "rootfs"
    command += [spec.suite or "bookworm", str(rootfs), mirror]
    try:
        on_event(f"running {shlex.join(command)} (takes minutes)")
        _run_debootstrap(spec.image, command, rootfs, on_event)
        for relative in CLEANED_DIRS:
            _delete_files(rootfs, rootfs / relative)
        changes = _finish_rootfs(spec, rootfs, labels)
        on_event("importing the root filesystem into the engine")
        return _import(client, spec.image, rootfs, changes)
    finally:
        _remove_tree(workdir)


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


def _finish_rootfs(spec: BaseSpec, rootfs: Path, labels: dict[str, str]) -> list[str]:
    """Make the rootfs behave like the image it stands in for; return the image's config changes."""
    env = {"PATH": PATH}
    changes: list[str] = []
    python3 = rootfs / "usr/bin/python3"
    if os.path.lexists(python3) and not os.path.lexists(python3.with_name("python")):
        # python:* images answer to `python` too, and examples call either name.
        os.symlink("python3", python3.with_name("python"))
    goroots = sorted((rootfs / "usr/lib").glob("go-*/bin"))
    if goroots:
        # As in golang:*: GOPATH=/go, world-writable, the working directory, and go on PATH.
        for sub in ("src", "bin"):
            (rootfs / "go" / sub).mkdir(parents=True, exist_ok=True)
        for path in (rootfs / "go", rootfs / "go/src", rootfs / "go/bin"):
            path.chmod(0o1777)
        goroot_bin = "/" + str(goroots[-1].relative_to(rootfs))
        env = {"GOPATH": "/go", "PATH": f"/go/bin:{goroot_bin}:{PATH}"}
        changes.append("WORKDIR /go")
    changes += [f"ENV {key}={value}" for key, value in env.items()]
    changes += [f"LABEL {key}={json.dumps(value)}" for key, value in sorted(labels.items())]
    wants_python = any(package.startswith("python3") for package in spec.packages)
    changes.append('CMD ["python3"]' if wants_python else 'CMD ["bash"]')
    return changes


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
    image = _local_image(client, ref)
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


def _tar_of(files: dict[str, tuple[bytes, int]]) -> io.BytesIO:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        for name, (data, mode) in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            info.mode = mode
            tar.addfile(info, io.BytesIO(data))
    buffer.seek(0)
    return buffer


def _is_static_elf(data: bytes) -> bool:
    """True for an ELF executable with no program interpreter (PT_INTERP), i.e. statically linked."""
    if data[:4] != b"\x7fELF" or data[4] not in (1, 2) or data[5] not in (1, 2):
        return False
    wide, order = data[4] == 2, "<>"[data[5] - 1]  # ELF64 or ELF32; little- or big-endian
    (phoff,) = struct.unpack_from(order + ("Q" if wide else "I"), data, 0x20 if wide else 0x1C)
    entsize, count = struct.unpack_from(order + "HH", data, 0x36 if wide else 0x2A)
    types = [struct.unpack_from(order + "I", data, phoff + i * entsize)[0] for i in range(count)]
    return PT_INTERP not in types
