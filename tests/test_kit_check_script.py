"""check.sh on a machine without Docker, and the files it reads: no engine needed for these."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from catalog.kits.checks import command_files, command_script, kit_conf, needed_tools
from catalog.kits.plan import plan_for
from tests.workshop_files import synced_site
from worker.scenario.model import Command

pytestmark = pytest.mark.django_db


def write_kit(root: Path) -> Path:
    plan = plan_for("morning")
    entries = command_files(plan) | {"checks/kit.conf": kit_conf(plan, ["amd64"], 5 * 2**20, 11 * 2**20)}
    for example in plan.examples:
        for path, content, _ in example.files:
            entries[f"{example.folder}/{path}"] = content
    for name, content in entries.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    return root


def without_docker(tmp_path: Path) -> str:
    """A PATH with every program of this machine but docker: a laptop where Docker was never installed."""
    bin_dir = tmp_path / "bin-without-docker"
    bin_dir.mkdir()
    for folder in ("/usr/local/bin", "/usr/bin", "/bin"):
        for program in Path(folder).iterdir():
            if program.name != "docker" and not (bin_dir / program.name).exists():
                (bin_dir / program.name).symlink_to(program)
    return str(bin_dir)


def test_no_docker_fails_the_machine_check_runs_nothing_and_still_writes_valid_json(tmp_path):
    synced_site(tmp_path / "site")
    kit = write_kit(tmp_path / "kit")
    nickname = 'ada "the" \\ <b>trainer</b>\ttab'
    report_file = tmp_path / "report.json"
    checked = subprocess.run(
        ["sh", str(kit / "check.sh"), "--nickname", nickname, "--json", str(report_file)],
        env={**os.environ, "PATH": without_docker(tmp_path)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert checked.returncode == 1, checked.stdout + checked.stderr
    report = json.loads(report_file.read_text())
    assert report["nickname"] == 'ada "the" \\ <b>trainer</b>tab'  # a tab is a control character: dropped
    assert report["checks"] == [
        {
            "name": "docker-cli",
            "status": "failed",
            "detail": "no docker command on PATH: install Docker (or Docker Desktop) first",
        }
    ]
    assert [(item["number"], item["status"]) for item in report["items"]] == [
        (1, "not run"),
        (2, "not run"),
        (3, "not run"),
    ]
    assert report["kit"] == {"workshop": "morning", "cut": None, "kit_format": 1}
    assert "0 of 3 examples passed" in checked.stdout


def test_bad_usage_says_how_to_call_it(tmp_path):
    synced_site(tmp_path / "site")
    kit = write_kit(tmp_path / "kit")
    wrong = subprocess.run(["sh", str(kit / "check.sh"), "--colour"], capture_output=True, text=True)
    assert wrong.returncode == 2
    assert "unknown option '--colour'" in wrong.stderr and "sh check.sh [--nickname NAME]" in wrong.stderr


def test_a_command_file_is_the_command_with_a_header_check_sh_reads():
    command = Command(
        title="Ask for the page:\nit fails",
        run="sleep 1 && curl -s http://127.0.0.1:8080/\n",
        exit_code=7,
        output_contains=("404 Not Found", "two\nlines"),
        timeout=30.5,
    )
    assert command_script(command) == (
        "# title: Ask for the page: it fails\n"
        "# shows: sleep 1 && curl -s http://127.0.0.1:8080/\n"
        "# exit: 7\n"
        "# prints: 404 Not Found\n"
        "# prints: two\n"
        "# prints: lines\n"
        "# timeout: 31\n"
        "# needs: curl\n"
        "sleep 1 && curl -s http://127.0.0.1:8080/\n"
    )
    assert needed_tools("docker compose up -d && docker compose ps") == ["compose"]
    assert needed_tools("docker run --rm busybox wget -qO- http://x/") == []  # wget runs in the container
    assert needed_tools("for i in 1 2; do curl -s x && break; sleep 1; done | jq .") == ["curl", "jq"]
