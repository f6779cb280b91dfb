"""A verification analyses every image it built: layers, reclaimable bytes and lint tied to bytes."""

import pytest

from tests.test_runner import example, run
from worker.image_insight import layer_of_lines, stage_instructions

pytestmark = pytest.mark.docker

APT_LISTS = 123_456
WASTEFUL = f"""FROM busybox:1.35 AS build
RUN echo built > /built

FROM busybox:1.35
# Stands in for a real apt-get run: busybox has no apt, the lists are written by hand.
RUN (apt-get update && apt-get install -y curl) || true; mkdir -p /var/lib/apt/lists \\
    && head -c {APT_LISTS} /dev/zero > /var/lib/apt/lists/fake_Packages
COPY --from=build /built /built
RUN rm /var/lib/apt/lists/fake_Packages
CMD ["cat", "/built"]
"""


def test_lint_findings_carry_the_bytes_their_layer_wrote_and_the_waste_is_explained(docker_client, labels):
    scenario = example(
        [{"run": {"image": "app"}, "expect": {"exit_code": 0, "output_contains": "built"}}],
        files={"Dockerfile": WASTEFUL},
    )
    result, events = run(docker_client, labels, scenario)
    try:
        assert result.passed, result.detail
        summary, full = result.analysis["app"], result.layer_details["app"]
        lint = summary["lint"]
        assert lint["available"]
        dl3009 = next(f for f in lint["findings"] if f["code"] == "DL3009")
        assert (dl3009["line"], dl3009["wasted_bytes"]) == (6, APT_LISTS)
        assert all(f["wasted_bytes"] is None for f in lint["findings"] if f["code"] != "DL3009")
        # The deletion two steps later hides the bytes but stores them: reclaimable, with its reason.
        assert summary["reclaimable_bytes"] == APT_LISTS
        [edge] = summary["edges"]
        assert (edge["path"], edge["bytes"], edge["reason"]) == (
            "/var/lib/apt/lists/fake_Packages",
            APT_LISTS,
            "deleted",
        )
        written = next(layer for layer in summary["layers"] if layer["index"] == edge["written_by"])
        assert written["reclaimable_bytes"] == APT_LISTS and "changes" not in written
        assert any(change["path"] == "/built" for layer in full["layers"] for change in layer["changes"])
        assert any("analysed image app" in event and "reclaimable" in event for event in events)
    finally:
        docker_client.images.remove(result.images["app"].id, force=True)


def test_lines_map_to_layers_counted_from_the_end_of_the_history():
    instructions = stage_instructions(WASTEFUL, None)
    assert [line for line, _ in instructions] == [6, 8, 9, 10]
    assert stage_instructions(WASTEFUL, "build") == [(2, "RUN echo built > /built")]
    history = [{"layer": 0}, {"layer": None}, {"layer": 1}, {"layer": 2}, {"layer": 3}, {"layer": None}]
    history += [{"layer": None}] * 2  # two build labels, appended by the builder
    assert layer_of_lines(history, instructions, trailing=2) == {6: 1, 8: 2, 9: 3, 10: None}
    assert layer_of_lines(history[:3], instructions, trailing=2) == {}  # a history that cannot fit
