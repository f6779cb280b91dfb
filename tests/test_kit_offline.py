"""A workshop kit on a machine that never saw the catalog: a second engine with no images and no network.

The kit is built from the real catalog's examples on the suite's engine; a second dockerd started by
.ci/kit-engine.sh (its own data root, socket, network namespace and /run) stands in for an attendee's
laptop. load.sh and check.sh run there as an attendee runs them, inside that engine's namespaces, with
no registry to pull from.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tarfile
from pathlib import Path

import docker
import pytest
import yaml
from django.conf import settings

from catalog.content.importer import sync_patterns
from catalog.kits.build import build_kit
from catalog.kits.plan import plan_for
from catalog.models import Workshop
from catalog.workshops.check_rooms import CheckRoom, MachineReport
from tests.conftest import require
from tests.test_workshops_readiness_reports import user

pytestmark = [pytest.mark.django_db, pytest.mark.docker]

# Run as the README says to type it: `.ci/kit-engine.sh start DIR`, so it must stay executable.
KIT_ENGINE = Path(__file__).resolve().parent.parent / ".ci" / "kit-engine.sh"
# Real examples that exercise what a kit must carry: a named volume and a command meant to fail
# (sidecar), the Docker socket mounted into a container (docker-socket-mount), Compose and a port
# published to the host (dev-orchestration), a bind mount of the example's own folder (mount-sources).
WORKSHOP = {
    "title": "Kit day",
    "summary": "Four examples, run offline.",
    "duration": "1h",
    "audience": "attendees with a laptop",
    "parts": [
        {
            "title": "All of it",
            "items": [
                {"pattern": "sidecar", "minutes": 15, "depth": "core"},
                {"pattern": "docker-socket-mount", "minutes": 10, "depth": "core"},
                {"pattern": "dev-orchestration", "minutes": 15, "depth": "extra"},
                {"pattern": "mount-sources", "minutes": 10, "depth": "core"},
            ],
        }
    ],
    "cuts": [{"name": "short", "title": "Short", "duration": "30m", "drop_depth": ["extra"]}],
}


@pytest.fixture
def kit_engine(tmp_path, docker_client):
    ready = os.geteuid() == 0 and all(shutil.which(tool) for tool in ("dockerd", "unshare", "nsenter", "ip"))
    require("a second Docker engine", ready, "run as root with docker.io, util-linux and iproute2 installed")
    folder = tmp_path / "engine"
    try:
        started = subprocess.run([str(KIT_ENGINE), "start", str(folder)], capture_output=True, text=True)
        assert started.returncode == 0, started.stderr
        client = docker.DockerClient(base_url=started.stdout.strip())
        try:
            yield folder, client
        finally:
            client.close()
    finally:
        # Also after a start that failed half-way: a dockerd that came up late is stopped too.
        stopped = subprocess.run([str(KIT_ENGINE), "stop", str(folder)], capture_output=True, text=True)
        assert stopped.returncode == 0, stopped.stderr


def inside(engine: Path, *command: str, cwd: Path, timeout: float = 600) -> subprocess.CompletedProcess:
    """A command as the attendee types it, in the kit engine's namespaces (its ports, its socket)."""
    return subprocess.run(
        [str(KIT_ENGINE), "run", str(engine), *command],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture
def kit(tmp_path, docker_client):
    folder = tmp_path / "workshops"
    folder.mkdir()
    (folder / "kit-day.yaml").write_text(yaml.safe_dump(WORKSHOP, sort_keys=False))
    assert sync_patterns(Path(settings.PATTERNS_DIR), folder).ok
    built = build_kit(docker_client, plan_for("kit-day"), tmp_path / "kits", say=lambda text: None)
    with tarfile.open(built.archive) as archive:
        archive.extractall(tmp_path / "unpacked", filter="data")
    return tmp_path / "unpacked" / "kit-day-kit"


def test_an_offline_engine_loads_the_kit_and_passes_every_example(kit, kit_engine, tmp_path):
    engine, client = kit_engine
    assert client.images.list() == []  # a machine that has never pulled anything

    checksums = subprocess.run(["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=kit, capture_output=True)
    assert checksums.returncode == 0, checksums.stdout

    loaded = inside(engine, "sh", "load.sh", cwd=kit)
    assert loaded.returncode == 0, loaded.stderr
    assert "Loaded image: busybox:1.35" in loaded.stdout

    report_file = tmp_path / "report.json"
    checked = inside(
        engine, "sh", str(kit / "check.sh"), "--nickname", "ada", "--json", str(report_file), cwd=tmp_path
    )
    report = json.loads(report_file.read_text())
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert [item["example"] for item in report["items"]] == [
        "shared-volume",
        "who-am-i",
        "app-and-store",
        "live-edit",
    ]
    assert all(item["status"] == "passed" for item in report["items"]), report["items"]
    assert {check["name"]: check["status"] for check in report["checks"]} == dict.fromkeys(
        ("docker-cli", "architecture", "disk", "bases", "engine"), "passed"
    )
    assert report["nickname"] == "ada" and report["kit"] == {
        "workshop": "kit-day",
        "cut": None,
        "kit_format": 1,
    }
    assert report["machine"]["engine_arch"] == client.version()["Arch"] and report["passed"] == 4
    assert "4 of 4 examples passed" in checked.stdout

    # Everything the commands made is gone; what stays is what load.sh loaded.
    assert client.containers.list(all=True) == []
    assert client.volumes.list() == []
    assert {network.name for network in client.networks.list()} == {"bridge", "host", "none"}
    assert sorted(tag for image in client.images.list() for tag in image.tags) == sorted(
        json.loads((kit / "manifest.json").read_text())["images"]
    )


def test_a_rotted_example_fails_by_its_command_and_check_sh_loads_missing_bases_itself(
    kit, kit_engine, tmp_path
):
    engine, client = kit_engine
    script = kit / "examples/01-sidecar--shared-volume/refresh.sh"
    script.write_text(script.read_text().replace("Written by the sidecar", "Written by someone"))
    checksums = subprocess.run(
        ["sha256sum", "--quiet", "-c", "SHA256SUMS"], cwd=kit, capture_output=True, text=True
    )
    assert (
        checksums.returncode == 1
        and "examples/01-sidecar--shared-volume/refresh.sh: FAILED" in checksums.stdout
    )

    report_file = tmp_path / "report.json"
    checked = inside(
        engine, "sh", str(kit / "check.sh"), "--only", "1", "--json", str(report_file), cwd=tmp_path
    )
    assert checked.returncode == 1, checked.stdout + checked.stderr
    assert "loading the kit's base images: busybox:1.35 python:3.11-slim-bookworm" in checked.stdout
    report = json.loads(report_file.read_text())
    (item,) = report["items"]
    assert item["status"] == "failed" and item["detail"].startswith("command 6 (for i in 1 2 3")
    assert item["detail"].endswith("did not print 'Written by the sidecar'")
    assert report["passed"] == 0 and report["failed"] == 1
    assert "0 of 1 examples passed" in checked.stdout
    # The run stopped half-way: its containers, volume and images were still removed by their label.
    assert client.containers.list(all=True) == [] and client.volumes.list() == []
    assert sorted(tag for image in client.images.list() for tag in image.tags) == [
        "busybox:1.35",
        "python:3.11-slim-bookworm",
    ]


def test_a_report_from_the_kit_engine_reaches_the_trainers_dashboard_on_the_same_machine(
    kit, kit_engine, live_server, transactional_db, tmp_path
):
    engine, _ = kit_engine
    room = CheckRoom.objects.open_for(Workshop.objects.get(slug="kit-day"), user("ada-trainer"))
    reached = subprocess.run([str(KIT_ENGINE), "reach", str(engine), str(live_server.url.rsplit(":", 1)[1])])
    assert reached.returncode == 0
    link = live_server.url + room.join_url
    checked = inside(
        engine,
        "sh",
        str(kit / "check.sh"),
        "--only",
        "4",
        "--nickname",
        "demo",
        "--report",
        link,
        cwd=tmp_path,
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "Sent to the trainer: received: 1 passed, 0 failed; the trainer sees it now" in checked.stdout
    machine = MachineReport.objects.get(room=room)
    assert machine.nickname == "demo"
