"""Scenarios on the real engine: every step kind, every failure reason, and nothing left running."""

from __future__ import annotations

import time

import pytest

from tests.scenario_runs import APP_SH, HTTPD, checks_of, example, nothing_left, run
from worker.engine.client import EngineUnavailable, connect
from worker.runner import run_scenario

pytestmark = pytest.mark.usefixtures("busybox")


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
            {"image": "app", "expect": {"layers": 1}},
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
            # An error page's body is read too, and a path is a request, never a shell command.
            {
                "probe": {"container": "web", "port": 8080, "path": "/missing;$(id)"},
                "expect": {"status": 404, "body_contains": "404 Not Found", "body_not_contains": "uid="},
            },
            {"processes": "web", "expect": {"output_contains": "httpd", "count_max": 1}},
            {"stop": {"container": "web", "timeout": "1s"}},
        ],
    )
    result, _ = run(docker_client, labels, scenario)
    assert result.outcome == "passed", result.detail
    assert checks_of(result)[1, "status"].observed == "200"
    assert checks_of(result)[2, "status"].observed == "404"


def test_a_probe_of_a_closed_port_fails_with_the_reason(docker_client, labels):
    scenario = example(
        files={"Dockerfile": HTTPD.format("RUN mkdir /www")},
        steps=[
            {"run": {"image": "app", "name": "web", "detach": True}},
            {"probe": {"container": "web", "port": 8081}, "expect": {"status": 200}},
            {"stop": {"container": "web", "timeout": "1s"}},
        ],
    )
    result, _ = run(docker_client, labels, scenario)
    assert (result.outcome, result.failure_reason) == ("failed", "CHECK_FAILED")
    status = checks_of(result)[1, "status"]
    assert not status.passed and "can't connect" in status.detail, status


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
            # busybox:1.35 is one layer, as published; HEALTHCHECK adds none.
            {"image": "app", "expect": {"healthcheck": True, "layers": 1, "files_absent": ["/ready"]}},
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
