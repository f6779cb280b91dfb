"""A run builds FROM private copies of its bases: cold first builds whatever a reader built, same history."""

from __future__ import annotations

import io

import pytest

from tests.scenario_runs import example, run
from worker.bases.run_bases import base_config, copy_base
from worker.images.builder import remove_images

pytestmark = pytest.mark.usefixtures("busybox")

DOCKERFILE = "FROM busybox:1.35\nRUN echo 'installing tinyslug 0.9.2' > /deps.txt\nCOPY app.sh /app.sh\n"
APP = "#!/bin/sh\necho app\n"


def build_by_hand(client, labels: dict, dockerfile: str, app: str) -> None:
    """What a reader's `docker build` of the same files leaves in the engine's cache."""
    import tarfile

    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w") as tar:
        for name, text in (("Dockerfile", dockerfile), ("app.sh", app)):
            data = text.encode()
            member = tarfile.TarInfo(name)
            member.size, member.mode = len(data), 0o755
            tar.addfile(member, io.BytesIO(data))
    archive.seek(0)
    client.images.build(fileobj=archive, custom_context=True, labels=labels, rm=True)


def test_the_first_build_is_cold_though_a_reader_built_the_same_files(docker_client, labels):
    reader = {**labels, "catalog.test-role": "reader"}
    build_by_hand(docker_client, reader, DOCKERFILE, APP)
    scenario = example(
        files={"Dockerfile": DOCKERFILE, "app.sh": APP},
        steps=[
            {
                "build": "app",
                "expect": {"cache_miss": ["RUN echo", "COPY app.sh"], "output_contains": "Running in"},
            },
            # Within the run the cache still works: the dependency step comes from the first build.
            {"rebuild": {"image": "app", "touch": "app.sh"}, "expect": {"cache_hit": ["RUN echo"]}},
        ],
    )

    def reader_builds_again(line: str) -> None:
        if line.startswith("step 2/"):  # between the run's two builds, the reader builds again
            build_by_hand(docker_client, reader, DOCKERFILE, APP + "# edited\n")

    result, events = run(docker_client, labels, scenario, also=reader_builds_again, analyse=False)
    assert result.outcome == "passed", result.detail
    assert any("app| Step 1/" in line and "FROM busybox:1.35" in line for line in events)  # as written
    assert not any("catalog-verify/" in line and "FROM" in line for line in events)


def test_a_base_copy_has_the_bases_layers_history_and_config_but_its_own_id(docker_client, labels, tmp_path):
    ours = {**labels, "catalog.base-copy": "test"}
    try:
        tag = f"catalog-verify/test-{labels['catalog.test']}:base-1"
        copy_id = copy_base(docker_client, "busybox:1.35", tag, ours, tmp_path)
        original, copy = docker_client.images.get("busybox:1.35"), docker_client.images.get(copy_id)
        assert copy.id != original.id
        assert copy.attrs["RootFS"] == original.attrs["RootFS"]
        assert [row["CreatedBy"] for row in copy.history()] == [
            row["CreatedBy"] for row in original.history()
        ]
        assert copy.labels == {**(original.labels or {}), **ours}
        assert {key: value for key, value in copy.attrs["Config"].items() if key != "Labels"} == {
            key: value for key, value in original.attrs["Config"].items() if key != "Labels"
        }
        # The config is kept under its digest, for the next run.
        assert (tmp_path / f"{original.id.removeprefix('sha256:')}.json").is_file()
        assert base_config(docker_client, original.id, tmp_path)
    finally:
        remove_images(docker_client, ours)
    assert docker_client.images.list(filters={"label": [f"{k}={v}" for k, v in ours.items()]}) == []
