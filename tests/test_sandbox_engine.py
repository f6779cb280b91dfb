"""The sandboxed engine for submissions, for real: .ci/sandbox-engine.sh and worker/sandbox_engine.py.

One engine is shared by the module (a start costs about half a second, but a load and a first run more);
the stop test starts a second one, which also shows two engines on one machine keeping apart.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import tarfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import docker
import pytest

from tests.conftest import labelled, require
from tests.test_builder import BUSYBOX, ensure_busybox
from tests.test_processes import all_gone, is_running
from tests.test_runsite import answers, descendants, start_site, wait_until
from worker.sandbox_engine import sandbox_status

pytestmark = pytest.mark.docker

SANDBOX_ENGINE = Path(__file__).resolve().parent.parent / ".ci" / "sandbox-engine.sh"
TOOLS = ("dockerd", "runsc", "nsenter", "unshare", "ip", "flock", "setsid")
LINK = re.compile(r"^\d+: ([^:@]+)[:@]", re.MULTILINE)  # `ip -o link`: "1: lo: <LOOPBACK,UP…"


@dataclass(frozen=True)
class Sandbox:
    folder: Path
    url: str
    client: docker.DockerClient


def engine_script(*arguments: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([str(SANDBOX_ENGINE), *arguments], capture_output=True, text=True, timeout=timeout)


def start_engine(folder: Path) -> Sandbox:
    started = engine_script("start", str(folder))
    assert started.returncode == 0, started.stderr
    url = started.stdout.strip()
    return Sandbox(folder, url, docker.DockerClient(base_url=url, timeout=120))


def stop_engine(engine: Sandbox) -> None:
    engine.client.close()
    stopped = engine_script("stop", str(engine.folder))
    assert stopped.returncode == 0, stopped.stderr
    shutil.rmtree(engine.folder, ignore_errors=True)


def has_docker0() -> bool:
    return subprocess.run(["ip", "link", "show", "docker0"], capture_output=True).returncode == 0


def command_lines() -> dict[int, str]:
    """Every process's command line, its arguments joined by spaces."""
    found = {}
    for entry in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            found[int(entry.parent.name)] = entry.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # it ended while we looked
    return found


@pytest.fixture(scope="module")
def docker0_before() -> bool:
    return has_docker0()


@pytest.fixture(scope="module")
def sandbox(tmp_path_factory, docker_client, docker0_before) -> Iterator[Sandbox]:
    ready = os.geteuid() == 0 and all(shutil.which(tool) for tool in TOOLS)
    require(
        "the sandboxed engine",
        ready,
        "run as root with docker.io, runsc, util-linux and iproute2 (`make services` installs them)",
    )
    ensure_busybox(docker_client)
    engine = start_engine(tmp_path_factory.mktemp("sandbox"))
    try:
        loaded = engine_script("load", str(engine.folder), BUSYBOX)
        assert loaded.returncode == 0, loaded.stderr
        yield engine
    finally:
        stop_engine(engine)


@pytest.fixture
def sandbox_labels(sandbox, docker_labels) -> Iterator[dict[str, str]]:
    """Test labels on the sandboxed engine; what carries them is checked for and removed afterwards."""
    yield from labelled(sandbox.client, docker_labels)


def run_busybox(client: docker.DockerClient, labels: dict[str, str], command: str, **options) -> str:
    """A busybox container's exit code and output, the container removed."""
    container = client.containers.create(BUSYBOX, ["sh", "-c", command], labels=labels, **options)
    try:
        container.start()
        code = container.wait(timeout=60)["StatusCode"]
        return f"exit {code}\n" + container.logs().decode()
    finally:
        container.remove(force=True)


def test_start_gives_an_engine_whose_default_runtime_is_gvisor(sandbox):
    status = sandbox_status(sandbox.url)
    assert status.ready, status.problem
    assert (status.answers, status.runtime) == (True, "runsc")
    said = engine_script("status", str(sandbox.folder))
    assert said.returncode == 0, said.stderr
    assert "default runtime runsc" in said.stdout
    # Starting what runs already is a no-op with the same answer (make test beside make run).
    pid = (sandbox.folder / "docker.pid").read_text()
    again = engine_script("start", str(sandbox.folder))
    assert (again.returncode, again.stdout.strip()) == (0, sandbox.url), again.stderr
    assert (sandbox.folder / "docker.pid").read_text() == pid


def test_a_container_runs_inside_gvisor(sandbox, sandbox_labels):
    output = run_busybox(sandbox.client, sandbox_labels, "uname -r; dmesg")
    assert output.startswith("exit 0\n4.4.0\n"), output
    assert "Starting gVisor" in output


def test_a_build_runs_its_run_steps_inside_gvisor_without_a_network(sandbox, sandbox_labels):
    dockerfile = f"FROM {BUSYBOX}\nRUN uname -r && dmesg | head -n 1 && ip -o link\n".encode()
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
    context.seek(0)
    events = list(
        sandbox.client.api.build(
            fileobj=context, custom_context=True, labels=sandbox_labels, rm=True, forcerm=True, decode=True
        )
    )
    log = "".join(event.get("stream", "") for event in events)
    assert not [event for event in events if "error" in event], log
    assert "\n4.4.0\n" in log and "Starting gVisor" in log, log
    assert LINK.findall(log) == ["lo"], log


def test_a_container_has_only_loopback_and_cannot_reach_the_hosts_loopback(sandbox, sandbox_labels):
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.settimeout(0.5)
        port = listener.getsockname()[1]
        probe = f"ip -o link; nc -w 2 127.0.0.1 {port} </dev/null && echo REACHED"
        isolated = run_busybox(sandbox.client, sandbox_labels, probe)
        # Even the host's network mode: it is the engine's own empty namespace, under runsc's none.
        host_mode = run_busybox(sandbox.client, sandbox_labels, probe, network_mode="host")
        with pytest.raises(TimeoutError):
            listener.accept()
    for output in (isolated, host_mode):
        assert LINK.findall(output) == ["lo"], output
        assert "REACHED" not in output, output


def test_the_main_engine_keeps_docker0_and_answers(sandbox, docker_client, docker0_before):
    # A dockerd started with --bridge none in the host's namespace would have deleted docker0 there.
    assert has_docker0() == docker0_before
    assert docker_client.ping()
    assert docker_client.info()["DefaultRuntime"] != "runsc"


def test_load_copies_images_from_the_main_engine_once(sandbox, docker_client):
    assert sandbox.client.images.get(BUSYBOX).id == docker_client.images.get(BUSYBOX).id
    again = engine_script("load", str(sandbox.folder), BUSYBOX)
    assert (again.returncode, again.stdout) == (0, f"{BUSYBOX}: already there\n"), again.stderr
    absent = engine_script("load", str(sandbox.folder), "catalog-test-absent:never")
    assert absent.returncode == 1
    assert "the main engine has no image catalog-test-absent:never" in absent.stderr


def test_stop_ends_what_a_killed_engine_left_and_leaves_other_engines_alone(
    sandbox, docker_client, docker_labels, docker0_before, tmp_path
):
    second = start_engine(tmp_path / "second")
    try:
        loaded = engine_script("load", str(second.folder), BUSYBOX)
        assert loaded.returncode == 0, loaded.stderr
        container = second.client.containers.run(BUSYBOX, ["sleep", "600"], detach=True, labels=docker_labels)
        left = {pid: line for pid, line in command_lines().items() if container.id in line}
        programs = {Path(line.split()[0]).name for line in left.values()}
        assert {"containerd-shim-runc-v2", "runsc-sandbox", "runsc-gofer"} <= programs, left
        address = next(line for line in left.values() if " -address " in line).split(" -address ")[1]
        exec_root = Path(address.split()[0]).parent.parent  # EXEC_ROOT/containerd/containerd.sock

        # What pitfall 3 is about: without its dockerd, the shim and gVisor's processes run on.
        os.kill(int((second.folder / "docker.pid").read_text()), signal.SIGKILL)
        time.sleep(0.5)
        assert all(map(is_running, left)), "the shim and runsc were expected to outlive a killed dockerd"

        stopped = engine_script("stop", str(second.folder))
        assert stopped.returncode == 0, stopped.stderr
        assert all_gone(list(left)), [line for pid, line in left.items() if is_running(pid)]
        named = (str(exec_root), container.id)
        assert not [line for line in command_lines().values() if any(name in line for name in named)]
        assert not exec_root.exists()
    finally:
        stop_engine(second)
    assert sandbox.client.ping(), "stopping one sandboxed engine stopped another"
    assert has_docker0() == docker0_before
    assert docker_client.ping()


def test_status_says_when_the_sandboxed_engine_is_missing(tmp_path):
    status = sandbox_status(f"unix://{tmp_path}/docker.sock")
    assert (status.ready, status.answers) == (False, False)
    assert status.problem.startswith(f"The sandboxed engine is missing (nothing at {tmp_path}/docker.sock)")
    assert "make engine" in status.problem


def test_status_says_when_nothing_answers_on_the_socket(tmp_path):
    path = tmp_path / "docker.sock"
    with socket.socket(socket.AF_UNIX) as bound:
        bound.bind(str(path))  # the file is there, but nobody listens: a dockerd that died
        status = sandbox_status(f"unix://{path}")
    assert (status.ready, status.answers) == (False, False)
    assert status.problem.startswith(f"The sandboxed engine at unix://{path} does not answer"), status.problem


def test_status_refuses_an_engine_that_is_not_gvisor(docker_client):
    main_engine = os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock"
    status = sandbox_status(main_engine)
    assert (status.ready, status.answers, status.runtime) == (False, True, "runc")
    assert "not gVisor's runsc: untrusted work must not run there" in status.problem


def celery_workers(pid: int) -> list[tuple[list[bytes], str]]:
    """The Celery worker processes under pid: their arguments and their DOCKER_HOST."""
    found = []
    for child in descendants(pid):
        arguments = Path(f"/proc/{child}/cmdline").read_bytes().split(b"\0")
        if b"celery" in arguments and b"worker" in arguments:
            variables = Path(f"/proc/{child}/environ").read_bytes().split(b"\0")
            environment = dict(item.split(b"=", 1) for item in variables if b"=" in item)
            found.append((arguments, environment.get(b"DOCKER_HOST", b"").decode()))
    return found


def test_runsite_runs_a_worker_of_its_own_for_the_sandbox_queue_on_the_sandboxed_engine(tmp_path):
    engine = f"unix://{tmp_path}/sandbox.sock"
    env = {key: value for key, value in os.environ.items() if key not in {"DATABASE_URL", "REDIS_URL"}}
    env.pop("CELERY_BROKER_URL", None)
    env.update(
        CATALOG_VAR_DIR=str(tmp_path / "var"), DEBUG="true", PYTHONUNBUFFERED="1", SANDBOX_DOCKER_HOST=engine
    )
    site, port, log = start_site(env, tmp_path)
    family: list[int] = []
    try:
        wait_until(lambda: answers(f"http://127.0.0.1:{port}/healthz"), 60, "no answer", site, log)
        wait_until(lambda: log.read_text().count(" ready.") >= 2, 60, "not both workers ready", site, log)
        assert re.search(r"sandbox@\S+ ready\.", log.read_text())
        family = descendants(site.pid)
        workers = celery_workers(site.pid)
        sandboxed = [(arguments, host) for arguments, host in workers if b"sandbox@%h" in arguments]
        assert sandboxed, workers
        for arguments, host in sandboxed:
            assert host == engine
            assert arguments[arguments.index(b"-Q") + 1] == b"sandbox"
            assert arguments[arguments.index(b"--concurrency") + 1] == b"1"
        # The curated worker keeps the main engine and never takes the sandbox queue.
        for arguments, host in workers:
            if b"sandbox@%h" not in arguments:
                assert host != engine and b"sandbox" not in arguments[arguments.index(b"-Q") + 1], arguments
        site.send_signal(signal.SIGTERM)
        assert site.wait(timeout=30) == 0, log.read_text()
        assert all_gone(family), "runsite left processes running after SIGTERM"
    finally:
        for pid in [site.pid, *family]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        site.wait(timeout=5)
