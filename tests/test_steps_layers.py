"""The layers step reads a path back from the layer that wrote it, after a later layer deleted it."""

import pytest

from tests.scenario_runs import checks_of, example, run

pytestmark = pytest.mark.docker

LEAKY = "FROM busybox:1.35\nCOPY key.pem /run/key.pem\nRUN rm /run/key.pem\nCOPY app.sh /app.sh\n"


def test_a_deleted_file_is_still_written_by_its_layer_and_an_unwritten_one_is_in_none(docker_client, labels):
    scenario = example(
        [
            {"image": "app", "expect": {"files_absent": ["/run/key.pem"]}},
            {"layers": "app", "expect": {"written": ["/run/key.pem"], "never_written": ["/run/other.pem"]}},
            {"layers": "app", "expect": {"never_written": "/run/key.pem"}},
        ],
        files={"Dockerfile": LEAKY, "key.pem": "-----BEGIN KEY-----\n", "app.sh": "#!/bin/sh\n"},
    )
    result, _ = run(docker_client, labels, scenario)
    try:
        checks = checks_of(result)
        assert checks[(0, "files_absent")].passed  # the container's filesystem does not show it
        assert checks[(1, "written")].passed and checks[(1, "never_written")].passed
        hidden = checks[(2, "never_written")]
        writer = result.images["app"].layers - 2  # the key's COPY, before the RUN rm and the last COPY
        assert not hidden.passed and hidden.observed == f"/run/key.pem: written by layer {writer}"
        assert result.failure_reason == "CHECK_FAILED"
    finally:
        docker_client.images.remove(result.images["app"].id, force=True)
