"""Scenarios on the real engine: every step kind, every failure reason, and nothing left running."""

from __future__ import annotations

import json
import time
import uuid

import docker
import pytest

from tests.test_builder import ensure_busybox
from worker.engine import EngineUnavailable, connect, label_filters
from worker.runner import run_scenario
from worker.scenario import Scenario, parse_scenario

APP_SH = b"""#!/bin/sh
trap 'echo "got SIGTERM"; exit 0' TERM
echo "app.sh started (PID $$)"
while true; do sleep 1 & wait $!; done
"""
HTTPD = 'FROM busybox:1.35\n{}\nCMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n'


@pytest.fixture(scope="module", autouse=True)
def busybox(docker_client):
    return ensure_busybox(docker_client)


def example(
    steps: list, images: dict | None = None, files: dict | None = None, **more
) -> tuple[Scenario, dict]:
    files = {
        name: (data.encode() if isinstance(data, str) else data, name.endswith(".sh"))
        for name, data in (files or {}).items()
    }
    raw = {
        "title": "test",
        "summary": "test",
        "images": images or {"app": {"dockerfile": "Dockerfile"}},
        "steps": steps,
        **more,
    }
    scenario, errors = parse_scenario(raw, set(files))
    assert not errors, errors
    return scenario, files


def run(client, labels, scenario_files, **options):
    events: list[str] = []
    result = run_scenario(client, *scenario_files, labels, on_event=events.append, **options)
    assert json.loads(json.dumps(result.to_dict()))["outcome"] == result.outcome
    nothing_left(client, labels)
    return result, events


def nothing_left(client, labels):
    selector = label_filters(labels)
    assert client.containers.list(all=True, filters=selector) == []
    assert client.volumes.list(filters=selector) == []
    assert client.networks.list(filters=selector) == []


def checks_of(result):
    return {(c.step_index, c.name): c for c in result.checks}


def test_exec_form_stops_at_once_and_shell_form_waits_for_the_kill(docker_client, labels):
    scenario = example(
        images={"exec": {"dockerfile": "Dockerfile.exec"}, "shell": {"dockerfile": "Dockerfile.shell"}},
        files={
            "app.sh": APP_SH,
            "Dockerfile.exec": 'FROM busybox:1.35\nCOPY app.sh /app.sh\nENTRYPOINT ["/app.sh"]\n',
            "Dockerfile.shell": "FROM busybox:1.35\nCOPY app.sh /app.sh\nENTRYPOINT /app.sh; echo done\n",
        },
        steps=[
            {"run": {"image": "exec", "name": "fast", "detach": True}},
            {"logs": {"container": "fast", "retry_for": "5s"}, "expect": {"output_contains": "(PID 1)"}},
            {
                "exec": {"container": "fast", "command": ["cat", "/proc/1/cmdline"]},
                "expect": {"output_contains": "/app.sh"},
            },
            {
                "stop": {"container": "fast", "timeout": "5s"},
                "expect": {"stopped_within": "2s", "exit_code": 0, "output_contains": "got SIGTERM"},
            },
            {"run": {"image": "shell", "name": "slow", "detach": True}},
            {"logs": {"container": "slow", "retry_for": "5s"}, "expect": {"output_contains": "started"}},
            {
                "stop": {"container": "slow", "timeout": "2s"},
                "expect": {"stopped_after": "1.5s", "exit_code": 137},
            },
        ],
        compare=[{"images": ["exec", "shell"], "expect": {"same_id": False, "size_ratio_max": 1.01}}],
    )
    result, events = run(docker_client, labels, scenario)
    assert result.outcome == "passed", result.detail
    checks = checks_of(result)
    assert float(checks[3, "stopped_within"].observed.split()[0]) < 2
    assert checks[3, "stopped_within"].expected == "<= 2.00 s"
    assert float(checks[6, "stopped_after"].observed.split()[0]) >= 2
    assert checks[6, "exit_code"].observed == "137"
    assert [report.status for report in result.steps] == ["passed"] * 7 + ["passed"]
    assert "got SIGTERM" in result.steps[3].output
    assert set(result.images) == {"exec", "shell"} and result.engine["api_version"]
    assert any(line.startswith("step 4/7: stop fast") for line in events)


def test_rebuild_after_touching_a_file_hits_the_cache_up_to_its_copy(docker_client, labels):
    dockerfile = (
        "FROM busybox:1.35\nCOPY deps.txt /deps.txt\nRUN cat /deps.txt > /installed\nCOPY app.txt /app.txt\n"
    )
    scenario = example(
        files={"Dockerfile": dockerfile, "deps.txt": "requests\n", "app.txt": "print('v1')\n"},
        steps=[
            {"build": "app", "expect": {"cache_miss": "RUN cat"}},
            {
                "rebuild": {"image": "app", "touch": "app.txt"},
                "expect": {"cache_hit": ["COPY deps.txt", "RUN cat"], "cache_miss": "COPY app.txt"},
            },
            {
                "rebuild": {"image": "app", "touch": "deps.txt"},
                "expect": {"cache_miss": ["COPY deps.txt", "RUN cat"]},
            },
            {"run": {"image": "app", "command": ["cat", "/app.txt"]}, "expect": {"output_contains": "v1"}},
        ],
    )
    result, _ = run(docker_client, labels, scenario)
    assert result.outcome == "passed", result.detail
    assert len(result.builds) == 3
    second = {step.instruction: step.cached for step in result.builds[1].steps}
    assert second["RUN cat /deps.txt > /installed"] and not second["COPY app.txt /app.txt"]
    hits = [check.observed for check in result.checks if check.step_index == 1 and check.name == "cache_hit"]
    assert hits == [
        "step 2 COPY deps.txt /deps.txt: from cache",
        "step 3 RUN cat /deps.txt > /installed: from cache",
    ]


def test_a_failing_run_instruction_stops_the_scenario(docker_client, labels):
    scenario = example(
        files={"Dockerfile": "FROM busybox:1.35\nRUN echo compiling && exit 3\n"},
        steps=[
            {"run": {"image": "app"}, "expect": {"exit_code": 0}},
            {"image": "app", "expect": {"layers": 2}},
        ],
    )
    result, _ = run(docker_client, labels, scenario)
    assert (result.outcome, result.failure_reason) == ("failed", "BUILD_FAILED")
    assert "RUN echo compiling && exit 3" in result.detail and "exit code 3" in result.detail
    build = result.builds[0]
    assert (build.exit_code, build.failed_instruction) == (3, "RUN echo compiling && exit 3")
    assert [report.status for report in result.steps] == ["error", "not run"]


def test_an_expected_build_failure_passes(docker_client, labels):
    scenario = example(
        files={"Dockerfile": "FROM busybox:1.35\nRUN exit 3\n"},
        steps=[{"build": "app", "expect": {"succeeds": False, "output_contains": "non-zero code: 3"}}],
    )
    result, _ = run(docker_client, labels, scenario)
    assert result.outcome == "passed", result.detail


def test_a_container_that_never_ends_is_killed_at_its_timeout(docker_client, labels):
    scenario = example(
        files={"Dockerfile": "FROM busybox:1.35\n"},
        steps=[
            {
                "run": {"image": "app", "command": ["sleep", "100000"], "timeout": "1.5s"},
                "expect": {"exit_code": 0},
            }
        ],
    )
    started = time.monotonic()
    result, _ = run(docker_client, labels, scenario)
    assert time.monotonic() - started < 10
    assert (result.outcome, result.failure_reason) == ("failed", "RUN_TIMEOUT")
    assert checks_of(result)[0, "exit_code"].observed == "137"


def test_a_container_out_of_memory_is_reported_as_oom(docker_client, labels):
    hog = "x=$(head -c 134217728 /dev/zero | tr '\\0' a); echo survived"
    scenario = example(
        files={"Dockerfile": "FROM busybox:1.35\n"},
        steps=[
            {
                "run": {"image": "app", "command": ["sh", "-c", hog], "mem_limit": "32MiB"},
                "expect": {"exit_code": 0, "oom_killed": False},
            },
        ],
    )
    result, _ = run(docker_client, labels, scenario)
    assert (result.outcome, result.failure_reason) == ("failed", "OOM")
    checks = checks_of(result)
    assert checks[0, "exit_code"].observed == "137" and checks[0, "oom_killed"].observed == "True"


def test_an_output_flood_is_stopped_and_kept_as_head_and_tail(docker_client, labels):
    scenario = example(
        files={"Dockerfile": "FROM busybox:1.35\n"},
        steps=[{"run": {"image": "app", "command": ["sh", "-c", "echo first; yes flood"]}}],
    )
    result, _ = run(docker_client, labels, scenario)
    assert (result.outcome, result.failure_reason) == ("failed", "OUTPUT_LIMIT")
    output = result.steps[0].output
    # The reader stops mid-chunk at the limit, so the tail may end in the middle of a line.
    assert output.startswith("first\nflood") and "bytes omitted ...]" in output and "flood" in output[-20:]


def test_a_probe_reaches_busybox_httpd_through_its_network_namespace(docker_client, labels):
    scenario = example(
        files={"Dockerfile": HTTPD.format("RUN mkdir /www && echo 'hello from httpd' > /www/index.html")},
        steps=[
            {"run": {"image": "app", "name": "web", "detach": True}},
            {
                "probe": {"container": "web", "port": 8080, "retry_for": "5s"},
                "expect": {"status": 200, "body_contains": "hello from httpd", "duration_max": "5s"},
            },
            {"probe": {"container": "web", "port": 8080, "path": "/missing"}, "expect": {"status": 404}},
            {"processes": "web", "expect": {"output_contains": "httpd", "count_max": 1}},
            {"stop": {"container": "web", "timeout": "1s"}},
        ],
    )
    result, _ = run(docker_client, labels, scenario)
    assert result.outcome == "passed", result.detail
    assert checks_of(result)[1, "status"].observed == "200"


def test_a_volume_filled_from_the_example_is_served_and_written_to(docker_client, labels):
    scenario = example(
        files={
            "Dockerfile": HTTPD.format("USER 65534:65534"),
            "site/index.html": "<h1>from the example</h1>\n",
        },
        volumes={"site": {"files": {"index.html": "site/index.html"}}},
        networks=["backend"],
        steps=[
            {
                "run": {
                    "image": "app",
                    "name": "web",
                    "detach": True,
                    "mounts": {"site": "/www"},
                    "network": "backend",
                }
            },
            {
                "probe": {"container": "web", "port": 8080, "retry_for": "5s"},
                "expect": {"body_contains": "from the example"},
            },
            {"write": {"volume": "site", "path": "news/today.html", "content": "written later"}},
            {
                "probe": {"container": "web", "port": 8080, "path": "/news/today.html"},
                "expect": {"body_contains": "written later"},
            },
            {
                "run": {
                    "image": "app",
                    "network": "backend",
                    "command": ["wget", "-q", "-O", "-", "http://web:8080/"],
                },
                "expect": {"exit_code": 0, "output_contains": "from the example"},
            },
        ],
    )
    result, _ = run(docker_client, labels, scenario)
    assert result.outcome == "passed", result.detail


def test_a_malformed_dockerfile_is_invalid(docker_client, labels):
    scenario = example(files={"Dockerfile": "FROM busybox:1.35\nRUNN echo\n"}, steps=[{"build": "app"}])
    result, _ = run(docker_client, labels, scenario)
    assert (result.outcome, result.failure_reason) == ("failed", "INVALID_DOCKERFILE")
    assert "unknown instruction: RUNN" in result.detail


def test_an_unreachable_engine_raises_engine_unavailable(nowhere, docker_labels):
    scenario = example(files={"Dockerfile": "FROM busybox:1.35\n"}, steps=[{"build": "app"}])
    with pytest.raises(EngineUnavailable):
        run_scenario(nowhere, *scenario, docker_labels)
    with pytest.raises(EngineUnavailable):
        connect("unix:///nonexistent.sock")


def test_an_exception_from_on_event_propagates_after_the_cleanup(docker_client, labels):
    class LeaseLost(RuntimeError):
        pass

    def on_event(line: str) -> None:
        if line.startswith("step 2/"):
            raise LeaseLost(line)

    scenario = example(
        files={"Dockerfile": "FROM busybox:1.35\n"},
        steps=[
            {"run": {"image": "app", "name": "long", "detach": True, "command": ["sleep", "600"]}},
            {"stop": "long"},
        ],
    )
    with pytest.raises(LeaseLost):
        run_scenario(docker_client, *scenario, labels, on_event=on_event)
    nothing_left(docker_client, labels)


def test_health_wait_and_image_steps(docker_client, labels):
    healthy = "FROM busybox:1.35\nHEALTHCHECK --interval=1s CMD test -f /ready\n"
    scenario = example(
        files={"Dockerfile": healthy},
        steps=[
            {"image": "app", "expect": {"healthcheck": True, "layers": 2, "files_absent": ["/ready"]}},
            {
                "run": {
                    "image": "app",
                    "name": "svc",
                    "detach": True,
                    "command": ["sh", "-c", "touch /ready; sleep 60"],
                }
            },
            {"health": {"container": "svc", "timeout": "10s"}, "expect": {"health": "healthy"}},
            {
                "run": {
                    "image": "app",
                    "name": "job",
                    "detach": True,
                    "command": ["sh", "-c", "sleep 0.3; echo done; exit 4"],
                }
            },
            {
                "wait": {"container": "job", "timeout": "10s"},
                "expect": {"exit_code": 4, "output_contains": "done"},
            },
            {"stop": {"container": "svc", "timeout": "1s"}},
        ],
    )
    result, _ = run(docker_client, labels, scenario)
    assert result.outcome == "passed", result.detail
    assert checks_of(result)[2, "health"].observed == "healthy"
    assert result.images["app"].healthcheck == ("CMD-SHELL", "test -f /ready")


def test_an_exec_that_overruns_its_timeout(docker_client, labels):
    scenario = example(
        files={"Dockerfile": "FROM busybox:1.35\n"},
        steps=[
            {"run": {"image": "app", "name": "box", "detach": True, "command": ["sleep", "60"]}},
            {"exec": {"container": "box", "command": "sh -c 'echo begun; sleep 100'", "timeout": "2s"}},
            {"stop": "box"},
        ],
    )
    result, _ = run(docker_client, labels, scenario)
    assert (result.outcome, result.failure_reason) == ("failed", "RUN_TIMEOUT")
    assert "begun" in result.steps[1].output
    assert [report.status for report in result.steps] == ["passed", "error", "not run"]


READ_BOTH = ["cat", "/data/seed", "/data/note"]


def test_curated_volumes_are_labelled_named_volumes_shared_by_volumes_from(docker_client, labels):
    dockerfile = "FROM busybox:1.35\nRUN mkdir /data && echo seeded > /data/seed\nVOLUME /data\n"
    scenario = example(
        files={"Dockerfile": dockerfile},
        steps=[
            {"run": {"image": "app", "name": "owner", "detach": True, "command": ["sleep", "60"]}},
            {"exec": {"container": "owner", "command": ["sh", "-c", "echo shared > /data/note"]}},
            {"run": {"image": "app", "volumes_from": ["owner"], "command": READ_BOTH},
             "expect": {"output_contains": ["seeded", "shared"]}},
            {"stop": {"container": "owner", "timeout": "1s"}},
        ],
    )  # fmt: skip
    result, _ = run(docker_client, labels, scenario)
    assert result.outcome == "passed", result.detail


def test_images_no_step_uses_are_built_for_the_comparisons(docker_client, labels):
    scenario = example(
        images={"full": {"dockerfile": "Dockerfile"}, "bare": {"dockerfile": "Dockerfile", "target": "bare"}},
        files={"Dockerfile": "FROM busybox:1.35 AS bare\nFROM bare\nCOPY Dockerfile /Dockerfile\n"},
        steps=[{"image": "full", "expect": {"files_present": ["/Dockerfile"], "layers_min": 3}}],
        compare=[
            {"images": ["bare", "full"], "expect": {"fewer_layers": True, "smaller": True, "same_id": False}}
        ],
    )
    result, _ = run(docker_client, labels, scenario)
    assert result.outcome == "passed", result.detail
    assert set(result.images) == {"full", "bare"} and [b.image_name for b in result.builds] == [
        "full",
        "bare",
    ]
    assert [report.action for report in result.steps] == ["image", "compare"]


def test_builds_leave_no_unlabelled_images_and_keep_the_base(docker_client, labels):
    # The classic builder keeps an image per step; earlier stages and a failed build's
    # steps carry no labels, so the run must remove them itself, and never the base.
    marker = f"marker-{uuid.uuid4().hex}"  # finds this test's images among anyone else's
    multi_stage = (
        f"FROM busybox:1.35 AS build\nRUN echo {marker} > /out\n"
        "FROM busybox:1.35\nCOPY --from=build /out /out\n"
    )
    fails_late = f"FROM busybox:1.35\nRUN echo {marker} > /one\nRUN exit 4\n"
    scenario = example(
        [
            {"build": "broken", "expect": {"succeeds": False}},
            {"run": {"image": "app", "command": ["cat", "/out"]}},
        ],
        images={"app": {"dockerfile": "Dockerfile"}, "broken": {"dockerfile": "Dockerfile.broken"}},
        files={"Dockerfile": multi_stage, "Dockerfile.broken": fails_late},
    )
    result, _ = run(docker_client, labels, scenario)
    assert result.outcome == "passed", result.detail
    ours = [image for image in docker_client.images.list(all=True) if _made_by(image, marker)]
    assert ours == [], [(image.id, image.labels) for image in ours]
    assert docker_client.images.get("busybox:1.35")


def _made_by(image, marker: str) -> bool:
    """An image one of whose own layers ran a command carrying the marker."""
    try:
        return any(marker in (row.get("CreatedBy") or "") for row in image.history())
    except docker.errors.NotFound:
        return False


def test_images_carry_only_the_labels_that_find_them_again(docker_client, labels):
    scenario = example(
        [{"run": {"image": "app"}, "expect": {"exit_code": 0, "output_contains": "hi"}}],
        files={"Dockerfile": 'FROM busybox:1.35\nCMD ["echo", "hi"]\n'},
    )
    run_labels = {**labels, "catalog.attempt": "3", "catalog.example": "some/example"}
    result, _ = run(docker_client, run_labels, scenario)
    image = docker_client.images.get(result.images["app"].id)
    try:
        assert labels.items() <= image.labels.items()
        assert "catalog.attempt" not in image.labels and "catalog.example" not in image.labels
        ours = [key for key in image.labels if not key.startswith("catalog.base")]  # the base's own
        steps = [row["CreatedBy"] for row in image.history() if " LABEL catalog." in row["CreatedBy"]]
        steps = [step for step in steps if "catalog.base" not in step]
        assert len(ours) == len(labels) and len(steps) == 1  # all of them in one builder step
        assert all(f"{key}={value}" in steps[0] for key, value in labels.items())
    finally:
        docker_client.images.remove(image.id, force=True)


def test_dockerignore_keeps_files_out_of_the_build_context(docker_client, labels):
    scenario = example(
        [
            {
                "run": {"image": "app"},
                "expect": {
                    "exit_code": 0,
                    "output_contains": "app.py",
                    "output_not_contains": [".env", "keep", "catalog-labelled"],
                },
            },
            {"image": "app", "expect": {"files_present": ["/ctx/notes.log"], "files_absent": ["/ctx/.env"]}},
        ],
        files={
            "Dockerfile": 'FROM busybox:1.35\nCOPY . /ctx/\nCMD ["ls", "-a", "/ctx"]\n',
            ".dockerignore": "# secrets and bulk\n.env\ncache/**\n*.log\n!notes.log\n",
            ".env": "TOKEN=demo",
            "app.py": "print('hi')",
            "cache/keep/big.bin": "x" * 1000,
            "debug.log": "noise",
            "notes.log": "kept by the exception",
        },
    )
    result, _ = run(docker_client, labels, scenario)
    try:
        assert result.passed, result.detail
    finally:
        docker_client.images.remove(result.images["app"].id, force=True)


def test_labels_leave_what_copy_sees_unchanged(docker_client, labels):
    """Without a .dockerignore of its own, `COPY .` gets the files and the Dockerfile, nothing else."""
    scenario = example(
        [
            {
                "run": {"image": "app"},
                "expect": {"exit_code": 0, "output_matches": r"^Dockerfile\s+app\.sh\s*$"},
            }
        ],
        images={"app": {"dockerfile": "Dockerfile", "target": "final"}},
        files={
            "Dockerfile": 'FROM busybox:1.35 AS final\nCOPY . /ctx/\nCMD ["ls", "-A", "/ctx"]\n'
            "FROM busybox:1.35 AS later\nRUN exit 9\n",
            "app.sh": "echo hi",
        },
    )
    result, _ = run(docker_client, labels, scenario)
    try:
        assert result.passed, result.detail
        assert labels.items() <= docker_client.images.get(result.images["app"].id).labels.items()
    finally:
        docker_client.images.remove(result.images["app"].id, force=True)
