"""Scenarios on the real engine, the objects they make: volumes, images, their labels, build contexts."""

from __future__ import annotations

import uuid

import docker
import pytest

from tests.scenario_runs import example, run

pytestmark = pytest.mark.usefixtures("busybox")


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
        steps=[{"image": "full", "expect": {"files_present": ["/Dockerfile"], "layers_min": 2}}],
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
