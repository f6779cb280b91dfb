"""Private copies of the services the fault suite breaks: a Docker engine, Redis and PostgreSQL.

The fault suite restarts, fills and kills these; the shared ones (the suite's Redis on 6390,
its PostgreSQL on 5432, the machine's dockerd) other tests and other work rely on. Each
private service lives under one temporary folder and is gone, with its processes, at `close()`.

The engine runs in a network namespace of its own: a dockerd takes charge of the `docker0` bridge
of the namespace it starts in (sets its address, or deletes it under `--bridge none`), so in the
host's a second engine would take the main engine's bridge from it. Its data is on a loop-mounted
file system of its own, so that "the disk is nearly full" is a real full disk.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import docker

PG_BIN = Path("/usr/lib/postgresql")
DISK_MB = 1536  # the engine's file system: room for the suite's images, small enough to fill


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_for(condition, timeout: float, what: str, interval: float = 0.1) -> float:
    """Seconds until condition() was true; AssertionError naming `what` after `timeout`."""
    began = time.monotonic()
    while not condition():
        if time.monotonic() - began > timeout:
            raise AssertionError(f"{what} (after {timeout:.0f} s)")
        time.sleep(interval)
    return time.monotonic() - began


def run(*command: str, **options) -> subprocess.CompletedProcess:
    done = subprocess.run(command, capture_output=True, text=True, **options)
    if done.returncode:
        raise AssertionError(f"{' '.join(command)} exited {done.returncode}: {done.stderr[-2000:]}")
    return done


class PrivateEngine:
    """A dockerd of the suite's own: own netns, data root (on its own disk), exec root and socket."""

    def __init__(self, root: Path, name: str):
        self.root, self.netns = root, f"catalog-faults-{name}"
        self.disk_image, self.disk = root / "disk.img", root / "disk"
        self.socket = root / "docker.sock"
        self.url = f"unix://{self.socket}"
        self.log_path = root / "dockerd.log"
        self.process: subprocess.Popen | None = None
        self.filler = self.disk / "filler"

    def start(self) -> None:
        if not self.disk.is_dir():
            self._make_disk()
        if not Path(f"/run/netns/{self.netns}").exists():
            run("ip", "netns", "add", self.netns)
            run("ip", "-n", self.netns, "link", "set", "lo", "up")
        command = [
            "nsenter", f"--net=/run/netns/{self.netns}", "dockerd",
            "--data-root", str(self.disk / "docker"), "--exec-root", str(self.root / "exec"),
            "--pidfile", str(self.root / "docker.pid"), "-H", self.url,
            "--storage-driver", "overlay2", "--bip", "172.31.250.1/24",
        ]  # fmt: skip
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        wait_for(self._answers, 60, f"the private dockerd never answered; see {self.log_path}")

    def _make_disk(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        run("truncate", "-s", f"{DISK_MB}M", str(self.disk_image))
        run("mkfs.ext4", "-q", str(self.disk_image))
        self.disk.mkdir()
        run("mount", "-o", "loop", str(self.disk_image), str(self.disk))

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"the private dockerd exited; see {self.log_path}")
        try:
            with self.client(timeout=2) as client:
                return client.ping()
        except docker.errors.DockerException:
            return False

    @contextlib.contextmanager
    def client(self, timeout: int = 120) -> Iterator[docker.DockerClient]:
        client = docker.DockerClient(base_url=self.url, timeout=timeout)
        try:
            yield client
        finally:
            client.close()

    def stop(self) -> None:
        """SIGTERM, as `systemctl stop docker` does; running containers die with it."""
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)
        self.process = None

    def restart(self, down_seconds: float = 0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def load_image(self, reference: str) -> None:
        """A base image from the machine's engine, as `docker save | docker -H … load`."""
        save = subprocess.Popen(["docker", "save", reference], stdout=subprocess.PIPE)
        run("docker", "-H", self.url, "load", stdin=save.stdout)
        assert save.wait() == 0, f"docker save {reference} failed"

    def free_mb(self) -> int:
        return shutil.disk_usage(self.disk).free // 2**20

    def fill_disk(self, leave_mb: int) -> None:
        """Take all but `leave_mb` of the engine's disk, as a growing log or a neighbour's images would."""
        size = max(self.free_mb() - leave_mb, 0)
        run("fallocate", "-l", f"{size}M", str(self.filler))

    def empty_disk(self) -> None:
        self.filler.unlink(missing_ok=True)

    def close(self) -> None:
        self.stop()
        # containerd's shims outlive a stopped dockerd only if it was killed; end any of ours.
        subprocess.run(["pkill", "-9", "-f", f"containerd-shim.*{self.root}"], check=False)
        if self.disk.is_mount():
            subprocess.run(["umount", "-l", str(self.disk)], check=False)
        subprocess.run(["ip", "netns", "delete", self.netns], check=False, capture_output=True)
        shutil.rmtree(self.root, ignore_errors=True)


class PrivateRedis:
    """redis-server on a port of its own, no persistence: a restart loses every queued message."""

    def __init__(self, root: Path):
        self.root, self.port = root, free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        command = [
            "redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
            "--appendonly", "no", "--dir", str(self.root), "--logfile", str(self.root / "redis.log"),
        ]  # fmt: skip
        self.process = subprocess.Popen(command, start_new_session=True)
        wait_for(self._answers, 20, "the private redis-server never answered")

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                sock.sendall(b"PING\r\n")
                return sock.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self, down_seconds: float = 0) -> None:
        self.stop()
        time.sleep(down_seconds)
        self.start()

    def close(self) -> None:
        self.stop()


class PrivatePostgres:
    """A PostgreSQL cluster of its own (initdb as the postgres user), trust auth on loopback."""

    def __init__(self, root: Path):
        self.root, self.port = root, free_port()
        self.data = root / "data"
        self.url = f"postgres://catalog:catalog@127.0.0.1:{self.port}/catalog"
        version = sorted(PG_BIN.iterdir(), key=lambda p: int(p.name))[-1]
        self.bin = version / "bin"

    def _as_postgres(self, *command: str) -> None:
        run("runuser", "-u", "postgres", "--", *command, cwd="/")

    def create(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        shutil.chown(self.root, "postgres")
        self._as_postgres(str(self.bin / "initdb"), "-D", str(self.data), "-U", "catalog", "--auth=trust")
        self.start()
        self._as_postgres(
            str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "catalog", "catalog"
        )

    def start(self) -> None:
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options,
                          "-l", str(self.root / "postgres.log"), "-w", "start")  # fmt: skip

    def stop(self) -> None:
        """`immediate`: the server goes as in a crash, open transactions and connections with it."""
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def close(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop()
        shutil.rmtree(self.root, ignore_errors=True)
