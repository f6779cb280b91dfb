"""The page's commands run with the Docker CLI through the relay, on the real engine."""

from __future__ import annotations

import io
import tarfile
import threading
import time

import pytest

from worker.commands.session import run_commands
from worker.commands.tools import find_tools
from worker.scenario.model import Command

pytestmark = pytest.mark.docker

DOCKERFILE = (
    b"FROM busybox:1.35\n"
    b"RUN mkdir /www && echo hello from the page > /www/index.html\n"
    b'CMD ["httpd", "-f", "-p", "8080", "-h", "/www"]\n'
)
FILES = {"Dockerfile": (DOCKERFILE, False), "src/note.txt": (b"mounted from the folder\n", False)}


def typed(*lines, **expect) -> tuple[Command, ...]:
    return tuple(Command(title=f"line {i + 1}", run=line, **expect) for i, line in enumerate(lines))


def run(
    client, labels, commands, *, files=FILES, folder="page-example", budget=120.0, host_access=(), cold=False
):
    return run_commands(
        client,
        commands,
        files,
        labels,
        folder_name=folder,
        tools=find_tools(),
        deadline=time.monotonic() + budget,
        host_access=host_access,
        cold=cold,
    )


def ours(client, labels):
    selector = {"label": [f"{key}={value}" for key, value in labels.items()]}
    return (
        client.containers.list(all=True, filters=selector)
        + client.volumes.list(filters=selector)
        + client.networks.list(filters=selector)
        + client.images.list(all=True, filters=selector)
    )


def test_commands_run_in_order_in_a_copy_of_the_folder_and_leave_nothing(docker_client, labels):
    commands = typed(
        "docker build -t page-web .",
        "docker network create page-net",
        'docker run -d --name page-web --network page-net -v page-data:/data -v "$PWD/src":/src:ro page-web',
        "docker exec page-web cat /src/note.txt /www/index.html",
        "echo from stdin | docker run -i --rm busybox:1.35 cat",  # an attach with stdin: a hijacked stream
        "docker inspect -f '{{index .Config.Labels \"catalog.test\"}}' page-web",
        "docker commit page-web page-web:patched",
    )
    outcome = run(docker_client, labels, commands)  # no clean-up command: the run removes it all
    assert outcome.reason == "", outcome.detail
    assert [result.status for result in outcome.results] == ["passed"] * 7
    assert "Successfully tagged page-web:latest" in outcome.results[0].output
    assert "mounted from the folder" in outcome.results[3].output
    assert "hello from the page" in outcome.results[3].output
    assert outcome.results[4].output.strip() == "from stdin"
    assert outcome.results[5].output.strip() == labels["catalog.test"]  # labelled by the relay
    assert outcome.clean_up == ""
    assert ours(docker_client, labels) == []
    with pytest.raises(Exception, match="No such image"):
        docker_client.images.get("page-web")


def test_a_command_meant_to_fail_says_so_and_any_other_outcome_fails_naming_it(docker_client, labels):
    commands = (
        Command("refused", "docker run --rm busybox:1.35 sh -c 'echo denied >&2; exit 3'", 3, ("denied",)),
        Command("should work", "docker run --rm busybox:1.35 false"),
        Command("never reached", "docker run --rm busybox:1.35 true"),
    )
    outcome = run(docker_client, labels, commands)
    assert [result.status for result in outcome.results] == ["passed", "failed", "not run"]
    assert outcome.results[0].exit_code == 3 and "denied" in outcome.results[0].output
    assert outcome.results[1].detail == "exited 1, the page says 0"
    assert outcome.reason == "COMMAND_FAILED", outcome.detail
    assert outcome.detail == "command 2 (docker run --rm busybox:1.35 false): exited 1, the page says 0"
    printed = (Command("wrong text", "echo something else", 0, ("expected words",)),)
    missing = run(docker_client, labels, printed)
    assert missing.results[0].detail == "did not print 'expected words'"


def test_a_command_that_never_ends_is_stopped_and_its_container_removed(docker_client, labels):
    commands = (Command("follow", "docker run --name page-forever busybox:1.35 sleep 600", timeout=3.0),)
    began = time.monotonic()
    outcome = run(docker_client, labels, commands)
    assert time.monotonic() - began < 30
    assert outcome.results[0].status == "failed"
    assert outcome.results[0].detail == "still running after 3 s"
    assert ours(docker_client, labels) == []


def test_two_runs_of_the_same_commands_at_once_take_turns_on_their_names(docker_client, labels):
    commands = typed(
        "docker run -d --name page-twin -v page-twin-data:/data busybox:1.35 sleep 30",
        "sleep 2 && docker exec page-twin true",
        "docker rm -f page-twin && docker volume rm page-twin-data",
    )
    outcomes: list = [None, None]

    def one(slot: int) -> None:
        outcomes[slot] = run(docker_client, labels, commands, budget=90)

    threads = [threading.Thread(target=one, args=(slot,)) for slot in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert all(outcome is not None for outcome in outcomes)
    for outcome in outcomes:
        assert outcome.reason == "", outcome.detail  # neither met "the name is already in use"
    # One waited for the other's names: their first commands did not overlap.
    firsts = sorted(outcome.results[0].duration for outcome in outcomes)
    assert firsts[1] >= 2.0
    assert ours(docker_client, labels) == []


def test_the_relay_refuses_what_would_touch_other_work(docker_client, labels):
    refused = {"exit_code": 1, "output_contains": ("verification:",)}
    commands = (
        Command("remove a base", "docker rmi busybox:1.35", **refused),
        Command("replace a base", "docker build -t busybox:1.35 .", **refused),
        Command("prune", "docker container prune -f", **refused),
        Command("every interface", "docker run -d -p 18999:8080 busybox:1.35 true", exit_code=125,
                output_contains=("127.0.0.1 only",)),
        Command("host file", "docker run --rm -v /etc:/host busybox:1.35 true", exit_code=125,
                output_contains=("only the example's own folder",)),
        Command("socket", "docker run --rm -v /var/run/docker.sock:/s busybox:1.35 true", exit_code=125,
                output_contains=("host_access",)),
        Command("pull", "docker pull busybox:latest", **refused),
    )  # fmt: skip
    outcome = run(docker_client, labels, commands)
    assert outcome.reason == "", outcome.detail
    assert docker_client.images.get("busybox:1.35")  # still there


def test_loopback_ports_and_the_declared_socket_work(docker_client, labels):
    commands = typed(
        "docker build -t page-web .",
        "docker run -d --name page-port -p 127.0.0.1:18998:8080 page-web",
        "for i in 1 2 3 4 5; do wget -qO- http://127.0.0.1:18998/ && break; sleep 1; done",
        # The socket a container gets is the relay's: what it starts is labelled like the rest.
        "docker run --rm -v /var/run/docker.sock:/var/run/docker.sock page-web test -S /var/run/docker.sock",
    )
    outcome = run(docker_client, labels, commands, host_access=("docker-socket",))
    assert outcome.reason == "", outcome.detail
    assert "hello from the page" in outcome.results[2].output
    assert ours(docker_client, labels) == []


def test_docker_compose_runs_through_the_relay(docker_client, labels):
    compose = b"services:\n  web:\n    build: .\n    ports: ['127.0.0.1:18997:8080']\n"
    files = {**FILES, "compose.yaml": (compose, False)}
    commands = typed(
        "docker compose up --build -d",
        "docker compose ps --format '{{.Service}} {{.State}}'",
        "docker inspect -f '{{index .Config.Labels \"catalog.test\"}}' page-compose-web-1",
    )
    outcome = run(docker_client, labels, commands, files=files, folder="page-compose")
    assert outcome.reason == "", outcome.detail
    assert "web running" in outcome.results[1].output
    assert outcome.results[2].output.strip() == labels["catalog.test"]
    assert ours(docker_client, labels) == []


def test_a_full_tmpfs_of_the_examples_own_is_the_examples_fault(docker_client, labels):
    # "no space left on device" alone proves nothing: the runner measures the engine's own free space.
    fill = "docker run --rm --tmpfs /small:size=1m busybox:1.35 dd if=/dev/zero of=/small/f bs=1M count=4"
    outcome = run(docker_client, labels, (Command("fill", fill),))
    assert outcome.results[0].status == "failed"
    assert outcome.reason == "COMMAND_FAILED", outcome.detail


def test_what_a_dead_run_of_this_catalog_left_under_a_name_is_cleared(docker_client, labels):
    # A worker killed mid-commands leaves its tag and container; the next run must not fail on them.
    dead = {**labels, "catalog.run": "commands-dead"}
    docker_client.images.build(fileobj=io.BytesIO(DOCKERFILE), tag="page-debris", labels=dead, rm=True)
    docker_client.containers.create("busybox:1.35", name="page-debris", labels=dead)
    outcome = run(
        docker_client,
        labels,
        typed("docker build -t page-debris . && docker run -d --name page-debris page-debris"),
    )
    assert outcome.reason == "", outcome.detail
    assert ours(docker_client, labels) == []


def test_a_cold_run_builds_each_dockerfile_without_the_engines_cache_once(docker_client, labels):
    # Someone built the same Dockerfile on this engine before: its layers are in the cache.
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(DOCKERFILE)
        tar.addfile(info, io.BytesIO(DOCKERFILE))
    context.seek(0)
    docker_client.images.build(
        fileobj=context, custom_context=True, tag="someone-else:cached", labels=labels, rm=True
    )
    twice = typed("docker build -t page-web .", "docker build -t page-web .", "docker build -t page-web:v2 .")
    warm = run(docker_client, labels, twice[:1])
    assert warm.reason == "", warm.detail
    assert "Using cache" in warm.results[0].output  # what a cold run must not do
    cold = run(docker_client, labels, twice, cold=True)
    assert cold.reason == "", cold.detail
    first, again, retagged = (result.output for result in cold.results)
    assert "Using cache" not in first
    # The same build again (as the cache examples show) takes the run's own layers.
    assert "Using cache" in again and "Using cache" in retagged
    assert cold.clean_up == ""
