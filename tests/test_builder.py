"""Building on the real engine: the stream read live, cache hits, failures, deadlines and floods."""

from __future__ import annotations

import io
import tarfile
import time
import uuid
from pathlib import Path

import docker
import pytest
from docker.errors import ImageNotFound

from worker.images import builder
from worker.images.build_context import context_tar
from worker.images.builder import build_image, remove_images

pytestmark = pytest.mark.docker

BUSYBOX = "busybox:1.35"


def ensure_busybox(client: docker.DockerClient) -> str:
    """busybox:1.35, or a stand-in made from Debian's busybox-static when no one provisioned it.

    Shared with other test runs and engineers, so it carries no test labels and stays.
    """
    try:
        return client.images.get(BUSYBOX).id
    except ImageNotFound:
        pass
    dockerfile = b'FROM scratch\nCOPY busybox /bin/busybox\nRUN ["/bin/busybox", "--install", "-s", "/bin"]\n'
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        for name, data, mode in (
            ("Dockerfile", dockerfile, 0o644),
            ("busybox", Path("/bin/busybox").read_bytes(), 0o755),
        ):
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(data), mode
            tar.addfile(info, io.BytesIO(data))
    context.seek(0)
    events = list(
        client.api.build(
            fileobj=context,
            custom_context=True,
            tag=BUSYBOX,
            labels={"catalog.base": BUSYBOX},
            rm=True,
            forcerm=True,
            network_mode="none",
            decode=True,
        )
    )
    assert not [event for event in events if "error" in event], events
    return client.images.get(BUSYBOX).id


@pytest.fixture(scope="module", autouse=True)
def busybox(docker_client):
    return ensure_busybox(docker_client)


def build(
    client, labels, dockerfile: str, files: dict[str, bytes] | None = None, seconds: float = 60, **options
):
    context = {"Dockerfile": (dockerfile.encode(), False)}
    context.update({name: (data, False) for name, data in (files or {}).items()})
    lines: list[str] = []
    result = build_image(
        client,
        image_name="app",
        context=context_tar(context),
        dockerfile="Dockerfile",
        tag=f"catalog-test/builder-{labels['catalog.test']}:app",
        labels=labels,
        deadline=time.monotonic() + seconds,
        on_line=lines.append,
        **options,
    )
    return result, lines


def test_steps_and_cache_hits_come_from_the_live_stream(docker_client, labels):
    dockerfile = "FROM busybox:1.35\nCOPY deps.txt /deps.txt\nRUN wc -c /deps.txt\nCOPY app.txt /app.txt\n"
    files = {"deps.txt": b"requests\n", "app.txt": b"v1\n"}
    first, lines = build(docker_client, labels, dockerfile, files)
    assert first.ok and first.image_id.startswith("sha256:") and first.reason == ""
    assert [s.instruction for s in first.steps][:4] == [
        "FROM busybox:1.35",
        "COPY deps.txt /deps.txt",
        "RUN wc -c /deps.txt",
        "COPY app.txt /app.txt",
    ]
    assert not any(step.cached for step in first.steps)
    assert any(line.startswith("Step 3/") for line in lines) and "9 /deps.txt" in first.log
    second, _ = build(docker_client, labels, dockerfile, {**files, "app.txt": b"v1\n\n"})
    cached = {step.instruction: step.cached for step in second.steps}
    assert cached["COPY deps.txt /deps.txt"] and cached["RUN wc -c /deps.txt"]
    assert not cached["COPY app.txt /app.txt"]
    assert docker_client.images.get(second.tag).id == second.image_id


def test_a_failing_run_records_its_exit_code_and_instruction(docker_client, labels):
    result, _ = build(docker_client, labels, "FROM busybox:1.35\nRUN echo building && exit 3\n")
    assert not result.ok and result.reason == "BUILD_FAILED" and result.image_id == ""
    assert result.exit_code == 3
    assert result.failed_instruction == "RUN echo building && exit 3"
    assert "returned a non-zero code: 3" in result.error and "building" in result.log


def test_a_step_killed_from_outside_is_the_infrastructures_fault(docker_client, labels):
    """`docker rm -f` of a RUN step's container (a prune, another tool): 137, and not the example's."""

    def kill_the_step(line: str) -> None:
        if line.startswith(" ---> Running in "):
            docker_client.containers.get(line.split()[-1]).remove(force=True)

    result = build_image(
        docker_client,
        image_name="app",
        context=context_tar({"Dockerfile": (b"FROM busybox:1.35\nRUN sleep 30\n", False)}),
        dockerfile="Dockerfile",
        tag=f"catalog-test/builder-{labels['catalog.test']}:app",
        labels=labels,
        deadline=time.monotonic() + 60,
        on_line=kill_the_step,
    )
    assert result.exit_code == 137 and result.reason == "INFRA", result
    assert "killed from outside the build" in result.error


def test_a_step_out_of_its_own_memory_limit_is_the_examples_fault(docker_client, labels, monkeypatch):
    monkeypatch.setattr(builder, "BUILD_MEMORY", 64 * 2**20)
    # dd reads each block into a buffer of the block's size: 200 MB of memory, touched.
    dockerfile = "FROM busybox:1.35\nRUN dd if=/dev/zero of=/dev/null bs=200M count=1\n"
    result, _ = build(docker_client, labels, dockerfile)
    assert result.exit_code == 137 and result.reason == "BUILD_FAILED", result
    assert "out of memory: the build's limit is 64 MiB" in result.error


def test_a_parent_removed_under_the_build_is_the_infrastructures_fault():
    """The engine's words when a neighbour removed the image a step stands on (the fault suite
    provokes it for real; its timing cannot be forced in a unit test): INFRA, never the example's."""
    stream = builder.BuildStream(lambda line: None)
    for text in ("Step 1/2 : FROM busybox:1.35\n", "Step 2/2 : LABEL stage=app\n"):
        stream.feed({"stream": text})
    message = "unknown parent image ID sha256:" + "ab" * 32
    stream.feed({"errorDetail": {"message": message}, "error": message})
    result = builder._result("app", "t:app", stream, "", 1.0)
    assert result.reason == "INFRA" and "removed from outside the run" in result.error
    stream.error = "COPY failed: file not found in build context"
    assert builder._result("app", "t:app", stream, "", 1.0).reason == "BUILD_FAILED"


def test_a_malformed_dockerfile_is_refused_before_any_step(docker_client, labels):
    result, _ = build(docker_client, labels, "FROM busybox:1.35\nRUNN echo\n")
    assert (result.ok, result.reason, result.steps) == (False, "INVALID_DOCKERFILE", ())
    assert "unknown instruction: RUNN" in result.error


def test_the_deadline_cancels_the_build_on_the_engine(docker_client, labels):
    marker = uuid.uuid4().hex
    started = time.monotonic()
    result, _ = build(docker_client, labels, f"FROM busybox:1.35\nRUN echo {marker}; sleep 30\n", seconds=2)
    assert time.monotonic() - started < 5
    assert result.reason == "BUILD_TIMEOUT" and not result.ok and marker in result.log
    # The engine removes the cancelled step's container itself (forcerm) within a few seconds.
    for _ in range(50):
        running = [c for c in docker_client.containers.list(all=True) if marker in " ".join(c.attrs["Args"])]
        if not running:
            break
        time.sleep(0.2)
    assert not running


def test_a_flood_of_output_stops_the_build_and_keeps_head_and_tail(docker_client, labels):
    result, lines = build(
        docker_client, labels, "FROM busybox:1.35\nRUN echo first-line; yes flood | head -c 3000000\n"
    )
    assert result.reason == "OUTPUT_LIMIT" and not result.ok
    assert "first-line" in result.log and "bytes omitted ...]" in result.log
    assert len(result.log) < 200 * 1024
    assert len(lines) <= 400


def test_build_args_and_targets_reach_the_builder(docker_client, labels):
    dockerfile = (
        "FROM busybox:1.35 AS one\nARG GREETING\nRUN echo $GREETING > /g\nFROM one AS two\nRUN false\n"
    )
    result, _ = build(docker_client, labels, dockerfile, target="one", build_args={"GREETING": "hi"})
    assert result.ok, result.error
    assert not any("false" in step.instruction for step in result.steps)
    with pytest.raises(ValueError):
        build(docker_client, labels, dockerfile, build_args={"BAD NAME": "x"})


def test_remove_images_removes_only_what_carries_the_labels(docker_client, labels):
    result, _ = build(docker_client, labels, "FROM busybox:1.35\nENV A=1\n")
    assert remove_images(docker_client, labels) == 1
    with pytest.raises(ImageNotFound):
        docker_client.images.get(result.image_id)
    docker_client.images.get(BUSYBOX)
