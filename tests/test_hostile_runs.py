"""Untrusted examples that tried to get past the sandbox at run time, on the real engine: each is contained.

The classes come from a held-out hostile suite (issue 14): values smuggled through ARG, ENV and
build arguments, a network reaching the host, builds without the runs' limits, no limit on an
example as a whole, numbers taken as written, root by another name, terminal control in the
logs, and images no clean-up can find. Every case ends with the engine answering and nothing left.
"""

from __future__ import annotations

import dataclasses
import http.server
import ipaddress
import math
import re
import signal
import threading
import time
from collections.abc import Iterator

import pytest
from celery.exceptions import SoftTimeLimitExceeded
from docker.errors import ImageNotFound

from tests.scenario_runs import example, nothing_left, run
from worker.bases.run_bases import copy_base
from worker.images.build_context import context_tar
from worker.images.build_limits import BuildLimits
from worker.images.builder import build_image, remove_images
from worker.runner import run_scenario

BASES = {"busybox:1.35"}
UNTRUSTED = {"trust": "untrusted", "allowed_bases": BASES, "analyse": False}
_IMAGE_LINE = re.compile(r"\|\s+---> ([0-9a-f]{12})$")  # a build's step image, in the live log


class CountingServer:
    """An HTTP server on one address of this machine that counts the requests reaching it."""

    def __init__(self, address: str):
        hits = self.hits = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits.append(self.path)
                self.send_response(200)
                self.end_headers()
                self.wfile.write(b"secret from the host\n")

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer((address, 0), Handler)
        self.address, self.port = address, self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> CountingServer:
        self.thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def loopback() -> Iterator[CountingServer]:
    with CountingServer("127.0.0.1") as server:
        yield server


def still_fine(client, labels) -> None:
    """The engine answers and the run left no container, volume, network or image of its own."""
    assert client.ping()
    nothing_left(client, labels)


# 1. Values that reach the daemon through ARG, ENV or build arguments.


@pytest.mark.parametrize(
    ("dockerfile", "build_args", "expected"),
    [
        ("FROM busybox:1.35\nARG U={url}\nADD $U /x\n", {}, "ARG on line 2 gives U"),
        ("FROM busybox:1.35\nARG U={url}\nADD ${{U}} /x\n", {}, "ARG on line 2 gives U"),
        ('FROM busybox:1.35\nENV U {url}\nADD ["$U", "/x"]\n', {}, "ENV on line 2 gives U"),
        ("FROM busybox:1.35\nARG U\nADD $U /x\n", {"U": "{url}"}, "build_args gives U"),
        ("FROM busybox:1.35\nADD $HTTP_PROXY /x\n", {"HTTP_PROXY": "{url}"}, "build_args gives HTTP_PROXY"),
        ("FROM busybox:1.35\nARG N\nADD ${{N:-{url}}} /x\n", {}, "mixes variables with ':'"),
        ("FROM busybox:1.35\nARG S=http\nARG U=$S://{host}/x\nADD $U /x\n", {}, "ARG on line 3 gives U"),
        ("FROM busybox:1.35\nADD $PATH /x\n", {}, "uses PATH, which no ARG or ENV line"),
    ],
)
def test_a_url_in_a_variable_never_reaches_the_daemon(
    docker_client, labels, busybox, loopback, dockerfile, build_args, expected
):
    host = f"127.0.0.1:{loopback.port}"
    url = f"http://{host}/secret"
    text = dockerfile.format(url=url, host=host)
    arguments = {name: value.format(url=url) for name, value in build_args.items()}
    scenario = example(
        images={"app": {"dockerfile": "Dockerfile", "build_args": arguments}},
        files={"Dockerfile": text},
        steps=[{"build": "app"}],
    )
    result, _ = run(docker_client, labels, scenario, **UNTRUSTED)
    assert result.failure_reason == "POLICY_REJECTED" and expected in result.detail, result.detail
    assert loopback.hits == []
    still_fine(docker_client, labels)


def test_from_a_variable_naming_an_unlisted_image_is_refused(docker_client, labels, busybox):
    scenario = example(
        images={"app": {"dockerfile": "Dockerfile", "build_args": {"BASE": "debian:bookworm-slim"}}},
        files={"Dockerfile": "ARG BASE=busybox:1.35\nFROM $BASE\n"},
        steps=[{"build": "app"}],
    )
    result, _ = run(docker_client, labels, scenario, **UNTRUSTED)
    assert result.failure_reason == "POLICY_REJECTED" and "variables are not allowed" in result.detail


def test_variables_naming_the_examples_own_files_still_build(docker_client, labels, busybox):
    scenario = example(
        files={"Dockerfile": "FROM busybox:1.35\nARG F=a.txt\nENV D=/srv\nADD $F $D/\nRUN cat /srv/a.txt\n",
               "a.txt": "from the context\n"},
        steps=[{"build": "app", "expect": {"output_contains": "from the context"}}],
    )  # fmt: skip
    result, _ = run(docker_client, labels, scenario, **UNTRUSTED)
    assert result.outcome == "passed", result.detail


# 2. A network declared by the scenario reaching the host through its gateway.


def test_a_scenario_network_has_no_way_to_the_host(docker_client, labels, busybox):
    config = docker_client.networks.get("bridge").attrs["IPAM"]["Config"][0]
    # An engine started beside an existing docker0 may leave Gateway out: it is the subnet's first host.
    bridge = config.get("Gateway") or str(next(ipaddress.ip_network(config["Subnet"]).hosts()))
    with CountingServer(bridge) as host:
        scenario = example(
            networks=["back"],
            steps=[
                {"run": {"image": "app", "name": "web", "network": "back", "detach": True,
                         "command": ["httpd", "-f", "-p", "8080", "-h", "/etc"]}},
                {
                    "run": {"image": "app", "network": "back", "command": ["sh", "-c",
                            "printf 'GET /hostname HTTP/1.0\\r\\n\\r\\n' | nc -w 3 web 8080; "
                            "gw=$(ip route | awk '/default/ {print $3}'); "
                            f"for to in $gw {bridge}; do printf 'GET /from-$to HTTP/1.0\\r\\n\\r\\n' | "
                            f"nc -w 2 $to {host.port} || echo no way to $to; done"]},
                    "expect": {"output_contains": ["200 OK", f"no way to {bridge}"],
                               "output_not_contains": "secret from the host"},
                },
            ],
            files={"Dockerfile": "FROM busybox:1.35\n"},
        )  # fmt: skip
        result, _ = run(docker_client, labels, scenario, **UNTRUSTED)
    assert host.hits == [] and result.outcome == "passed", (host.hits, result.detail, result.steps[1].output)
    still_fine(docker_client, labels)


# 3. Limits that held for runs but not for builds.


def test_an_untrusted_builds_steps_run_with_the_runs_limits(docker_client, labels, busybox):
    show = (
        "RUN cat /sys/fs/cgroup/cpu/cpu.cfs_quota_us /sys/fs/cgroup/memory/memory.limit_in_bytes; "
        "echo files $(ulimit -n) size $(ulimit -f)\n"
    )
    scenario = example(
        files={"Dockerfile": "FROM busybox:1.35\n" + show},
        # One CPU, 512 MiB, 1024 open files, 64 MiB files (in 512-byte blocks).
        steps=[
            {"build": "app", "expect": {"output_contains": ["100000", "536870912", "files 1024 size 131072"]}}
        ],
    )
    result, _ = run(docker_client, labels, scenario, **UNTRUSTED)
    assert result.outcome == "passed", result.detail


def test_a_fork_bomb_in_an_untrusted_build_runs_out_of_processes(docker_client, labels, busybox):
    # Exponential like any fork bomb, but it stops at some 800 processes should the limit be missing.
    bomb = "RUN bomb() { [ $1 -gt 0 ] && { bomb $(($1-1)) & bomb $(($1-1)) & wait; }; sleep 2; }; bomb 8\n"
    files = {"Dockerfile": "FROM busybox:1.35\n" + bomb}
    scenario = example(files=files, steps=[{"build": "app"}], timeout="20s")
    began = time.monotonic()
    result, _ = run(docker_client, labels, scenario, **UNTRUSTED)
    assert "can't fork" in result.builds[0].log, result.builds[0].log[-2000:]
    assert time.monotonic() - began < 20
    still_fine(docker_client, labels)


def test_disk_written_by_a_builds_steps_stops_the_build(docker_client, labels, busybox):
    tag = f"catalog-test/hostile-{labels['catalog.test']}"
    copy_base(
        docker_client, "busybox:1.35", f"{tag}:base", labels, None
    )  # so its build containers are labelled
    fill = (
        "RUN i=0; while [ $i -lt 40 ]; do dd if=/dev/zero of=/f$i bs=1M count=8 2>/dev/null; "
        "i=$((i+1)); done; sleep 30\n"
    )
    dockerfile = f"FROM {tag}:base\nRUN echo a small first layer > /first\n{fill}"
    began = time.monotonic()
    result = build_image(
        docker_client,
        image_name="app",
        context=context_tar({"Dockerfile": (dockerfile.encode(), False)}),
        dockerfile="Dockerfile",
        tag=f"{tag}:app",
        labels=labels,
        deadline=time.monotonic() + 25,
        limits=BuildLimits(memory=256 * 2**20, cpu_shares=512, disk=64 * 2**20),
    )
    assert result.reason == "BUILD_FAILED" and "wrote more than 64 MiB" in result.error, result
    assert time.monotonic() - began < 15
    still_fine(docker_client, labels)


# 4. No limit on an example as a whole.


def test_an_untrusted_example_starts_only_so_many_containers(docker_client, labels, busybox):
    start = {"image": "app", "detach": True, "command": ["sleep", "30"]}
    steps = [{"run": {**start, "name": f"c{i}"}} for i in range(11)]
    scenario = example(files={"Dockerfile": "FROM busybox:1.35\n"}, steps=steps)
    result, _ = run(docker_client, labels, scenario, **UNTRUSTED)
    assert result.failure_reason == "POLICY_REJECTED", result.detail
    assert "step 11" in result.detail and "more than 10 containers" in result.detail
    still_fine(docker_client, labels)


def test_an_untrusted_example_builds_only_so_many_times(docker_client, labels, busybox):
    scenario = example(files={"Dockerfile": "FROM busybox:1.35\n"}, steps=[{"build": "app"}] * 11)
    result, _ = run(docker_client, labels, scenario, **UNTRUSTED)
    assert result.failure_reason == "POLICY_REJECTED" and "more than 10 builds" in result.detail


def test_an_untrusted_volume_filled_file_by_file_stops_at_its_size(docker_client, labels, busybox):
    fill = (
        "i=0; while [ $i -lt 100 ]; do dd if=/dev/zero of=/data/f$i bs=1M count=1 2>&1 || break; i=$((i+1))"
    )
    fill += "; done"
    look = "cat /data/seed.txt; du -sk /data"
    scenario = example(
        volumes={"data": {"files": {"seed.txt": "seed.txt"}}},
        files={"Dockerfile": "FROM busybox:1.35\n", "seed.txt": "put in before any container\n"},
        steps=[
            {"run": {"image": "app", "mounts": {"data": "/data"}, "command": ["sh", "-c", fill]},
             "expect": {"output_contains": "No space left on device"}},
            # A later container sees what the first wrote: the volume is one, only capped.
            {"run": {"image": "app", "mounts": {"data": "/data"}, "command": ["sh", "-c", look]},
             "expect": {"output_contains": "put in before any container"}},
        ],
    )  # fmt: skip
    result, _ = run(docker_client, labels, scenario, **UNTRUSTED)
    assert result.outcome == "passed", (result.detail, result.steps[0].output[-500:])
    written = int(result.steps[1].output.split()[-2])
    assert 60 * 1024 <= written <= 64 * 1024, result.steps[1].output
    still_fine(docker_client, labels)


# 5. Numbers taken as written.


@pytest.mark.parametrize("grace", [1e9, math.inf, math.nan])
def test_a_stop_timeout_past_the_deadline_is_cut_to_it(docker_client, labels, busybox, grace):
    stubborn = ["sh", "-c", "trap '' TERM; while :; do sleep 1; done"]
    scenario, files = example(
        files={"Dockerfile": "FROM busybox:1.35\n"},
        steps=[
            {"run": {"image": "app", "name": "stubborn", "detach": True, "command": stubborn}},
            {"stop": {"container": "stubborn"}},
        ],
    )
    # What the parser refuses, as a stored scenario read back could still hold it.
    stop = dataclasses.replace(scenario.steps[1], params={"container": "stubborn", "timeout": grace})
    scenario = dataclasses.replace(scenario, steps=(scenario.steps[0], stop), timeout=4.0)
    outcome: list = []
    runner = threading.Thread(
        target=lambda: outcome.append(run_scenario(docker_client, scenario, files, labels, **UNTRUSTED)),
        daemon=True,
    )
    began = time.monotonic()
    runner.start()
    runner.join(30)
    assert outcome, "the run still waits on a stop far past the scenario's deadline"
    assert time.monotonic() - began < 10 and outcome[0].failure_reason != "INFRA", outcome[0].detail
    still_fine(docker_client, labels)


def test_a_scenario_timeout_that_is_no_number_is_the_policys_most(docker_client, labels, busybox):
    scenario, files = example(
        files={"Dockerfile": "FROM busybox:1.35\n"},
        steps=[{"run": {"image": "app", "command": ["true"]}, "expect": {"exit_code": 0}}],
    )
    result, _ = run(
        docker_client, labels, (dataclasses.replace(scenario, timeout=math.nan), files), **UNTRUSTED
    )
    assert result.outcome == "passed", result.detail


def test_celerys_soft_time_limit_ends_the_run_after_its_cleanup(docker_client, labels, busybox):
    """Celery raises SoftTimeLimitExceeded from a signal handler, wherever the task is; so does this test."""
    scenario = example(
        files={"Dockerfile": "FROM busybox:1.35\n"},
        steps=[{"run": {"image": "app", "command": ["sleep", "30"]}}],
    )

    def soft_time_limit(signum, frame):
        raise SoftTimeLimitExceeded()

    previous = signal.signal(signal.SIGALRM, soft_time_limit)
    signal.setitimer(signal.ITIMER_REAL, 3.0)
    try:
        with pytest.raises(SoftTimeLimitExceeded):
            run_scenario(docker_client, *scenario, labels, **UNTRUSTED)
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    still_fine(docker_client, labels)


# 6. A user of 0 honoured for untrusted code.

USER_SETUP = (
    "FROM busybox:1.35\nRUN echo 'toor:x:0:0::/:/bin/sh' >> /etc/passwd"
    " && echo 'app:x:1234:1234::/:/bin/sh' >> /etc/passwd && echo 'app:x:1234:' >> /etc/group\n"
)


@pytest.mark.parametrize(
    ("dockerfile", "run_user", "exec_user"),
    [
        ("USER 0", None, None),
        ("USER root", None, None),
        ("USER toor", None, None),
        ("USER 1234:0", None, None),
        ("USER app:root", None, None),
        ("USER app", "0", None),
        ("USER app", "root", None),
        ("USER app", None, "root"),
        ("USER app", None, "0:0"),
    ],
)
def test_user_0_by_any_name_is_refused_to_untrusted_code(
    docker_client, labels, busybox, dockerfile, run_user, exec_user
):
    run_step = {"image": "app", "name": "box", "detach": True, "command": ["sleep", "30"]}
    steps = [{"run": {**run_step, **({"user": run_user} if run_user else {})}}]
    steps.append(
        {"exec": {"container": "box", "command": "id", **({"user": exec_user} if exec_user else {})}}
    )
    scenario = example(files={"Dockerfile": f"{USER_SETUP}{dockerfile}\n"}, steps=steps)
    result, _ = run(docker_client, labels, scenario, **UNTRUSTED)
    assert result.failure_reason == "POLICY_REJECTED", result.detail
    assert re.search(r"is (root \()?(uid|gid) 0", result.detail), result.detail
    still_fine(docker_client, labels)


@pytest.mark.parametrize(
    ("dockerfile", "expected"),
    [("USER app", "uid=1234(app) gid=1234(app)"), ("USER 4321", "uid=4321 gid=65534"), ("", "uid=65534")],
)
def test_unprivileged_users_run_as_numbers_the_engine_need_not_look_up(
    docker_client, labels, busybox, dockerfile, expected
):
    scenario = example(
        files={"Dockerfile": f"{USER_SETUP}{dockerfile}\n"},
        steps=[{"run": {"image": "app", "command": ["id"]}, "expect": {"output_contains": expected}}],
    )
    result, _ = run(docker_client, labels, scenario, **UNTRUSTED)
    assert result.outcome == "passed", (result.detail, result.steps[0].output)


# 7. Terminal control from a container's output, a build's output or the Dockerfile itself.

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@pytest.mark.parametrize("trust", ["untrusted", "curated"])
def test_terminal_control_never_reaches_the_live_or_the_stored_log(docker_client, labels, busybox, trust):
    noise = r"printf '\033]0;pwned\007\033[2J\033[31mfake ok\rreal\302\233 c1\n'"
    in_the_file = "RUN echo '\x1b]0;title\x07\x1b[2J'\n"  # raw, in the step line the build prints
    scenario = example(
        files={"Dockerfile": f"FROM busybox:1.35\nRUN {noise}\n{in_the_file}"},
        steps=[
            {
                "run": {
                    "image": "app",
                    "name": "box",
                    "detach": True,
                    "command": ["sh", "-c", f"{noise}; sleep 30"],
                }
            },
            {
                "exec": {"container": "box", "command": ["sh", "-c", noise]},
                "expect": {"output_contains": "real"},
            },
            {"logs": "box", "expect": {"output_contains": "real"}},
        ],
    )
    result, events = run(docker_client, labels, scenario, trust=trust, allowed_bases=BASES, analyse=False)
    assert result.outcome == "passed", result.detail
    texts = {"live": "\n".join(events), "log": result.log, "build": result.builds[0].log}
    texts |= {f"step {report.index}": report.output for report in result.steps}
    texts |= {f"check {check.name}": check.observed for check in result.checks}
    assert "fake ok" in texts["live"] and "real" in texts["step 1"]
    assert {where: CONTROL.findall(text) for where, text in texts.items() if CONTROL.search(text)} == {}


# 8. Images a build makes, found by their labels whatever happens to the run.


def test_every_image_a_failing_multi_stage_build_makes_is_labelled_and_removed(
    docker_client, labels, busybox
):
    scenario = example(
        files={"Dockerfile": "FROM scratch AS files\nCOPY a.txt /a\nCOPY a.txt /b\n"
                             "FROM busybox:1.35\nCOPY --from=files /a /a\nRUN exit 3\n", "a.txt": "a\n"},
        steps=[{"build": "app"}],
    )  # fmt: skip
    seen: dict[str, dict] = {}

    def look(line: str) -> None:  # at once, while the build runs
        made = _IMAGE_LINE.search(line)
        if made:
            seen[made.group(1)] = docker_client.api.inspect_image(made.group(1))["Config"].get("Labels") or {}

    result, _ = run(docker_client, labels, scenario, also=look, **UNTRUSTED)
    assert result.failure_reason == "BUILD_FAILED" and len(seen) >= 5, (result.detail, seen)
    # Each of them (the stand-in for scratch, its stage's two images, the base copy, the COPY
    # --from image) carries the run's labels, so the reaper finds them all should the run die.
    assert [
        image for image, found in seen.items() if found.get("catalog.test") != labels["catalog.test"]
    ] == []
    assert [image for image in seen if _exists(docker_client, image) and image not in result.log] == []
    remove_images(docker_client, labels)
    assert [image for image in seen if _exists(docker_client, image)] == []


def test_a_run_interrupted_mid_build_leaves_only_labelled_images(docker_client, labels, busybox):
    scenario = example(
        files={"Dockerfile": "FROM scratch AS files\nCOPY a.txt /a\nCOPY a.txt /b\n"
                             "FROM busybox:1.35\nCOPY --from=files /a /a\nRUN sleep 30\n", "a.txt": "a\n"},
        steps=[{"build": "app"}],
    )  # fmt: skip
    seen: list[str] = []

    class Interrupted(Exception):
        pass

    def interrupt(line: str) -> None:
        made = _IMAGE_LINE.search(line)
        if made:
            seen.append(made.group(1))
        if "Running in" in line:
            raise Interrupted()

    with pytest.raises(Interrupted):
        run_scenario(docker_client, *scenario, labels, on_event=interrupt, **UNTRUSTED)
    assert len(seen) >= 3
    remove_images(docker_client, labels)  # what a caller does after any run, by the labels alone
    assert [image for image in seen if _exists(docker_client, image)] == []
    still_fine(docker_client, labels)


def _exists(client, image: str) -> bool:
    try:
        client.api.inspect_image(image)
    except ImageNotFound:
        return False
    return True
