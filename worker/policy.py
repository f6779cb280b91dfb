"""The sandbox policy: what untrusted Dockerfiles and contexts may hold, and run arguments per trust level.

Curated examples (reviewed like code in patterns/) and untrusted ones (submitted
through the site) share one runner; only this module says how far each is trusted.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Collection, Mapping

from docker.types import LogConfig, Ulimit

from worker.images.build_context import Dockerfile, Files, Instruction, parse_dockerfile, safe_path
from worker.images.build_limits import BuildLimits
from worker.images.variables import Assignment, assignments, reach, source_words

TRUST_LEVELS = ("curated", "untrusted")
DOCKERFILE_MAX = 64 * 1024
CONTEXT_FILES_MAX = 50
CONTEXT_FILE_MAX = 256 * 1024
CONTEXT_TOTAL_MAX = 1024 * 1024
INSTRUCTIONS_MAX = 200  # every instruction the classic builder runs makes one more image
INSTRUCTIONS = {
    "FROM", "RUN", "CMD", "LABEL", "MAINTAINER", "EXPOSE", "ENV", "ADD", "COPY", "ENTRYPOINT",
    "VOLUME", "USER", "WORKDIR", "ARG", "ONBUILD", "STOPSIGNAL", "HEALTHCHECK", "SHELL",
}  # fmt: skip
_REMOTE = re.compile(r"^([a-z][a-z0-9+.-]*://|git@|github\.com/)", re.I)
_WORDS = re.compile(r'[^\s\[\]",]+')  # words of both the shell and the JSON form
_URLISH = re.compile(r":|@|github\.com/", re.I)  # no URL or git remote is written without one of these
NOBODY = "65534:65534"


@dataclasses.dataclass(frozen=True)
class Finding:
    line: int  # 0 when the finding is about the context, not a Dockerfile line
    message: str


@dataclasses.dataclass(frozen=True)
class ImageRefProblem:
    """An image a FROM or COPY --from names that is none of scratch, an earlier stage or a listed base."""

    line: int
    instruction: str  # "FROM" or "COPY --from"
    ref: str
    message: str  # in the policy's words; the content loader says it in its own


def check_dockerfile(
    text: str, allowed_bases: Collection[str], build_args: Mapping[str, str] | None = None
) -> list[Finding]:
    """Everything in an untrusted Dockerfile that could make the engine fetch, pull or run more than it says.

    The daemon fetches `ADD <url>` and registry references even with the build's
    network off, and `# syntax=` would pull a frontend image; so they never reach it.
    ADD sources are judged with every value the file's ARG and ENV lines and the
    `build_args` could put into them, since the daemon substitutes after this check.
    """
    if len(text.encode()) > DOCKERFILE_MAX:
        return [Finding(0, f"the Dockerfile is larger than {DOCKERFILE_MAX // 1024} KiB")]
    if "\x00" in text:
        return [Finding(0, "the Dockerfile holds a NUL character")]
    dockerfile = parse_dockerfile(text)
    findings = [
        Finding(line, f"parser directive '# {name}=' is not allowed")
        for line, name, _ in dockerfile.directives
    ]
    if not dockerfile.instructions:
        findings.append(Finding(0, "the Dockerfile has no instructions"))
    if len(dockerfile.instructions) > INSTRUCTIONS_MAX:
        findings.append(
            Finding(0, f"{len(dockerfile.instructions)} instructions; at most {INSTRUCTIONS_MAX} are allowed")
        )
    given = assignments(dockerfile, build_args)
    by_line: list[Finding] = []
    for instruction in dockerfile.instructions:
        line, keyword, args = instruction.line, instruction.keyword, instruction.args
        if keyword not in INSTRUCTIONS:
            by_line.append(Finding(line, f"unknown instruction {keyword}"))
        elif keyword == "ONBUILD":
            by_line.append(Finding(line, "ONBUILD is not allowed: it runs in images built later"))
        elif keyword == "FROM" and any(flag.startswith("--platform") for flag in instruction.flags):
            by_line.append(Finding(line, "FROM --platform is not allowed"))
        elif keyword == "ADD" and any(_REMOTE.match(word) for word in _WORDS.findall(args)):
            by_line.append(Finding(line, "ADD of a URL or a git repository is not allowed"))
        elif keyword == "ADD":
            by_line += _substituted_sources(instruction, given)
    by_line += [Finding(ref.line, ref.message) for ref in image_ref_problems(dockerfile, allowed_bases)]
    # One instruction per line: a stable sort puts each image problem after its line's other finding.
    return findings + sorted(by_line, key=lambda finding: finding.line)


def _substituted_sources(instruction: Instruction, given: list[Assignment]) -> list[Finding]:
    """ADD sources with variables: what may reach them must be plain file names of the context."""
    findings = []
    for word in source_words(instruction):
        if "$" not in word:
            continue
        found = reach(word, given)
        if found.unset:
            findings.append(
                Finding(
                    instruction.line,
                    f"ADD source {word!r} uses {', '.join(found.unset)}, which no ARG or ENV line of this "
                    "Dockerfile sets: an ADD source may use only the file's own variables",
                )
            )
        if _URLISH.search(word):  # `${NAME:-http://...}`: the word itself holds what the daemon may use
            findings.append(
                Finding(
                    instruction.line,
                    f"ADD source {word!r} mixes variables with ':', '@' or 'github.com/': "
                    "ADD of a URL or a git repository is not allowed",
                )
            )
        urlish = next((piece for piece in found.pieces if _URLISH.search(piece.text)), None)
        if urlish:
            findings.append(
                Finding(
                    instruction.line,
                    f"ADD source {word!r} can become a URL ({urlish.source} gives {urlish.name} the value "
                    f"{urlish.value!r}): ADD of a URL or a git repository is not allowed",
                )
            )
    return findings


def image_ref_problems(dockerfile: Dockerfile, allowed_bases: Collection[str]) -> list[ImageRefProblem]:
    """The rule every FROM and COPY --from obeys, for the loader and the policy alike.

    An image reference names scratch (FROM only), an earlier stage, or a base bases.yaml
    lists, by exactly that name: no variable, no registry host.
    """
    problems = []
    stages = dockerfile.stages
    names: list[str] = []  # of the stages so far, "" for one without AS
    for instruction in dockerfile.instructions:
        if instruction.keyword == "FROM":
            stage = stages[len(names)]
            problem = _image_problem(stage.base, names, allowed_bases, allow_scratch=True)
            if problem:
                problems.append(ImageRefProblem(instruction.line, "FROM", stage.base, problem))
            names.append(stage.name)
        elif instruction.keyword == "COPY":
            for flag in instruction.flags:
                if flag.startswith("--from="):
                    ref = flag.split("=", 1)[1]
                    problem = _copy_from_problem(ref, names, allowed_bases)
                    if problem:
                        problems.append(ImageRefProblem(instruction.line, "COPY --from", ref, problem))
    return problems


def _copy_from_problem(ref: str, stages: list[str], allowed: Collection[str]) -> str | None:
    if ref.isdigit():
        # Stage numbers count from 0; the current stage is the last one seen.
        return None if int(ref) < len(stages) - 1 else f"COPY --from={ref} names no earlier stage"
    return _image_problem(ref, stages, allowed, allow_scratch=False)


def _image_problem(
    ref: str, stages: list[str], allowed: Collection[str], *, allow_scratch: bool
) -> str | None:
    if not ref:
        return "FROM names no image"
    if "$" in ref:
        return f"{ref!r}: variables are not allowed in image references"
    if ref.lower() in stages:
        return None
    if allow_scratch and ref == "scratch":
        return None
    first = ref.split("/", 1)[0]
    if "/" in ref and ("." in first or ":" in first or first == "localhost"):
        return f"{ref!r} names a registry host; images come only from the local allow-list"
    if ref not in allowed:
        return f"{ref!r} is not an allowed base image ({', '.join(sorted(allowed)) or 'none'})"
    return None


def check_context(files: Files) -> list[Finding]:
    """Limits on an untrusted build context: few, small files with plain relative names."""
    findings = []
    if len(files) > CONTEXT_FILES_MAX:
        findings.append(Finding(0, f"{len(files)} files; at most {CONTEXT_FILES_MAX} are allowed"))
    total = 0
    for path, (content, _) in files.items():
        total += len(content)
        if not safe_path(path):
            findings.append(Finding(0, f"{path!r}: names may use only A-Z a-z 0-9 . _ - and /, no '..'"))
        if len(content) > CONTEXT_FILE_MAX:
            findings.append(Finding(0, f"{path!r} is larger than {CONTEXT_FILE_MAX // 1024} KiB"))
    if total > CONTEXT_TOTAL_MAX:
        findings.append(Finding(0, f"the files hold {total} bytes; at most {CONTEXT_TOTAL_MAX} are allowed"))
    return findings


@dataclasses.dataclass(frozen=True, kw_only=True)
class RunPolicy:
    """Limits and privileges of every container a scenario starts, for one trust level."""

    trust: str
    cap_add: tuple[str, ...]
    pids_limit: int
    memory: int  # default memory limit, bytes; also swap, so there is none
    memory_max: int  # the most a step's mem_limit may ask for
    nano_cpus: int
    read_only: bool  # forced for every container, whatever the step says
    volumes_as_tmpfs: bool  # cover VOLUME paths with tmpfs (True) or labelled named volumes (False)
    default_user: str | None  # used when neither the step nor the image names a user
    host_access: bool  # may steps use host namespaces or the socket at all
    timeout_max: float  # the most a scenario may run, whatever its timeout says
    build: BuildLimits | None = None  # None: the builder's own (worker/images/builder.py)
    # What one scenario may make at most (None: no count): its scenario's containers (helpers
    # the runner starts and removes at once are not counted), volumes, networks and builds.
    containers_max: int | None = None
    volumes_max: int | None = None
    networks_max: int | None = None
    builds_max: int | None = None
    volume_bytes: int | None = None  # a named volume's size (None: a volume on the engine's disk)
    root_allowed: bool = True  # may a container or exec run as uid or gid 0
    networks_reach_host: bool = True  # does a scenario's network give the host an address on it
    labelled_scratch: bool = False  # build stages FROM scratch on a labelled stand-in (images/scratch.py)

    def scenario_seconds(self, timeout: float) -> float:
        """A scenario's timeout as a run takes it: a number of seconds, at most `timeout_max`.

        The parser refuses what is no duration; a stored scenario read back is checked again,
        since an infinite or NaN deadline would let every step wait for ever.
        """
        if not isinstance(timeout, int | float) or math.isnan(timeout) or timeout <= 0:
            return self.timeout_max
        return min(float(timeout), self.timeout_max)


# Curated examples drop every capability and get back only what an ordinary root process
# in a reviewed example uses: file ownership and permission overrides, switching to another
# user (entrypoints that drop privileges), signalling its own children, binding ports < 1024.
# A non-root process never holds these: no-new-privileges keeps setuid binaries from regaining them.
CURATED_CAPS = ("CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "KILL", "NET_BIND_SERVICE")
MIB = 1024 * 1024
CURATED = RunPolicy(
    trust="curated",
    cap_add=CURATED_CAPS,
    pids_limit=256,
    memory=512 * MIB,
    memory_max=1024 * MIB,
    nano_cpus=10**9,
    read_only=False,
    volumes_as_tmpfs=False,
    default_user=None,
    host_access=True,
    timeout_max=3600.0,
)
# Untrusted builds get the runs' memory, one CPU, the runs' rlimits, a process limit (build_cgroup.py)
# and 1 GiB of disk for all their steps' layers together.
UNTRUSTED_BUILD = BuildLimits(
    memory=512 * MIB,
    cpu_shares=512,
    cpu_quota=100_000,
    ulimits=(("nofile", 1024), ("core", 0), ("fsize", 64 * MIB)),
    disk=1024 * MIB,
    pids=128,
)
# An untrusted run is a curated one with less: no capability back, half the processes, no memory
# above the default, a read-only root with tmpfs over VOLUME paths, nobody as user, no host access,
# no user 0, ten minutes, limited builds, and few objects, each volume a capped tmpfs.
UNTRUSTED = dataclasses.replace(
    CURATED,
    trust="untrusted",
    cap_add=(),
    pids_limit=128,
    memory_max=CURATED.memory,
    read_only=True,
    volumes_as_tmpfs=True,
    default_user=NOBODY,
    host_access=False,
    timeout_max=600.0,
    build=UNTRUSTED_BUILD,
    containers_max=10,
    volumes_max=5,
    networks_max=5,
    builds_max=10,
    volume_bytes=64 * MIB,
    root_allowed=False,
    networks_reach_host=False,
    labelled_scratch=True,
)
POLICIES = {policy.trust: policy for policy in (CURATED, UNTRUSTED)}
TMPFS_OPTIONS = "rw,nosuid,nodev,size=64m"
UNTRUSTED_TMP = "rw,nosuid,nodev,noexec,size=64m"
VOLUME_TMPFS = "rw,nosuid,nodev,size=16m"


def run_policy(trust: str) -> RunPolicy:
    if trust not in POLICIES:
        raise ValueError(f"unknown trust level {trust!r}; expected one of {', '.join(TRUST_LEVELS)}")
    return POLICIES[trust]


def hardened_arguments(
    policy: RunPolicy,
    image_config: Mapping,
    *,
    user: str | None = None,
    read_only: bool = False,
    tmpfs: Collection[str] = (),
    mem_limit: int | None = None,
    covered: Collection[str] = (),
) -> dict:
    """docker-py `containers.create` arguments for limits, privileges and the root filesystem.

    `covered` are paths a named volume or another container's volumes already occupy;
    VOLUME paths not covered get a tmpfs when the policy says so (the caller creates
    named volumes otherwise), since anonymous volumes escape read_only and size caps.
    """
    memory = min(mem_limit or policy.memory, policy.memory_max)
    mounts = {path: TMPFS_OPTIONS for path in tmpfs}
    if policy.read_only:
        mounts.setdefault("/tmp", UNTRUSTED_TMP)
    if policy.volumes_as_tmpfs:
        for path in uncovered_volumes(image_config, [*covered, *mounts]):
            mounts[path] = VOLUME_TMPFS
    ulimits = [Ulimit(name="nofile", soft=1024, hard=1024), Ulimit(name="core", soft=0, hard=0)]
    if policy.trust == "untrusted":
        ulimits.append(Ulimit(name="fsize", soft=64 * MIB, hard=64 * MIB))
    arguments = {
        "cap_drop": ["ALL"],
        "cap_add": list(policy.cap_add) or None,
        "security_opt": ["no-new-privileges:true"],
        "privileged": False,
        "pids_limit": policy.pids_limit,
        "mem_limit": memory,
        "memswap_limit": memory,
        "nano_cpus": policy.nano_cpus,
        "shm_size": "64m",
        "ulimits": ulimits,
        "log_config": LogConfig(type="json-file", config={"max-size": "4m", "max-file": "1"}),
        "read_only": policy.read_only or read_only,
        "tmpfs": mounts or None,
        "use_config_proxy": False,
    }
    chosen = user or image_config.get("User") or policy.default_user
    if chosen:
        arguments["user"] = chosen
    return arguments


def uncovered_volumes(image_config: Mapping, covered: Collection[str]) -> list[str]:
    """The image's VOLUME paths that nothing else is mounted on."""
    taken = {path.rstrip("/") or "/" for path in covered}
    return [
        path for path in sorted(image_config.get("Volumes") or {}) if (path.rstrip("/") or "/") not in taken
    ]
