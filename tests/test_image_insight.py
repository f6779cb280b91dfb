"""A verification analyses every image it built: layers, reclaimable bytes and lint tied to bytes."""

import re

import pytest

from tests.scenario_runs import example, run
from worker.images.insight import layer_of_lines, lint_with_bytes, stage_instructions

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


def test_a_file_hadolint_cannot_parse_is_reported_as_not_linted_not_as_a_finding():
    dockerfile = 'FROM busybox:1.35\nHEALTHCHECK --interval=500ms CMD ["true"]\nCMD ["sleep", "9"]\n'
    lint = lint_with_bytes(dockerfile, None, {}, trailing=1)
    assert lint["available"] is False and lint["findings"] == []
    assert lint["error"].startswith("hadolint cannot parse line 2 (") and "linted nothing" in lint["error"]


def test_lines_map_to_layers_counted_from_the_end_of_the_history():
    instructions = stage_instructions(WASTEFUL, None)
    assert [line for line, _ in instructions] == [6, 8, 9, 10]
    assert stage_instructions(WASTEFUL, "build") == [(2, "RUN echo built > /built")]
    history = [{"layer": 0}, {"layer": None}, {"layer": 1}, {"layer": 2}, {"layer": 3}, {"layer": None}]
    history += [{"layer": None}] * 2  # two build labels, appended by the builder
    assert layer_of_lines(history, instructions, trailing=2) == {6: 1, 8: 2, 9: 3, 10: None}
    assert layer_of_lines(history[:3], instructions, trailing=2) == {}  # a history that cannot fit


@pytest.mark.django_db
def test_the_page_shows_layers_waste_and_lint_and_opens_file_trees(docker_client, labels, tmp_path, client):
    from catalog.content.importer import sync_patterns
    from catalog.models import Example, ImageLayers, Verification
    from tests import factories

    scenario, files = example(
        [{"run": {"image": "app"}, "expect": {"exit_code": 0, "output_contains": "built"}}],
        files={"Dockerfile": WASTEFUL},
    )
    result, _ = run(docker_client, labels, (scenario, files))
    docker_client.images.remove(result.images["app"].id, force=True)
    factories.write_tree(tmp_path, count=1)
    factories.write_pattern(tmp_path, "pattern-0", symbol="Paa", files={"Dockerfile": WASTEFUL})
    sync_patterns(tmp_path)
    target = Example.objects.get()
    data = result.to_dict()
    details = data.pop("layer_details")
    verification = Verification.objects.create(
        example=target, example_hash=target.content_hash, state="passed", attempt=1, result=data
    )
    ImageLayers.objects.create(verification=verification, image_name="app", analysis=details["app"])
    page = client.get(target.pattern.get_absolute_url()).content.decode()
    assert "Reclaimable" in page and "123 kB" in page
    assert "deleted by a later layer" in page and "/var/lib/apt/lists/fake_Packages" in page
    assert "DL3009" in page and "costs 123 kB in its layer" in page
    # Each finding is drawn at its line of the listed Dockerfile, and the list links to that line.
    marked = dict(
        re.findall(
            r'<span class="line line--lint[^"]*" id="lint-hello-dockerfile-(\d+)" data-lint="([^"]*)"', page
        )
    )
    findings = data["analysis"]["app"]["lint"]["findings"]
    assert set(marked) == {str(finding["line"]) for finding in findings}
    assert "DL3009" in marked["6"] and "(costs 123 kB)" in marked["6"]
    assert 'href="#lint-hello-dockerfile-6">Dockerfile line 6</a>' in page
    # Which steps each build took from the cache (a cold build: none).
    assert "Builds and the cache" in page and "0 of 8 steps from the cache" in page
    assert '<code>RUN rm /var/lib/apt/lists/fake_Packages</code> <span class="tag">built</span>' in page
    url = f"/verifications/{verification.pk}/images/app/layers/{details['app']['layers'][-2]['index']}/files"
    assert f'href="{url}?under=/"' in page
    # The layer that wrote the lists: one folder at a time, as a page and as JSON.
    writer = next(e["written_by"] for e in details["app"]["edges"])
    base = f"/verifications/{verification.pk}/images/app/layers/{writer}/files"
    listing = client.get(f"{base}?under=/var/lib/apt&format=json").json()
    assert listing["under"] == "/var/lib/apt"
    [lists] = listing["entries"]
    assert (lists["name"], lists["type"], lists["bytes"]) == ("lists", "dir", 123_456)
    html = client.get(f"{base}?under=/var/lib/apt/lists").content.decode()
    assert "fake_Packages" in html and "added" in html and "up one folder" in html
    assert client.get(f"/verifications/{verification.pk}/images/app/layers/99/files").status_code == 404
    assert client.get(f"/verifications/{verification.pk}/images/nope/layers/0/files").status_code == 404


@pytest.mark.browser
def test_folders_of_a_layer_open_in_place_in_chromium(
    docker_client, labels, tmp_path, live_server, transactional_db, chromium_path
):
    from playwright.sync_api import expect

    from catalog.content.importer import sync_patterns
    from catalog.models import Example, ImageLayers, Verification
    from tests import factories
    from tests.test_browser import chromium

    scenario, files = example(
        [{"run": {"image": "app"}, "expect": {"exit_code": 0, "output_contains": "built"}}],
        files={"Dockerfile": WASTEFUL},
    )
    result, _ = run(docker_client, labels, (scenario, files))
    docker_client.images.remove(result.images["app"].id, force=True)
    factories.write_tree(tmp_path, count=1)
    factories.write_pattern(tmp_path, "pattern-0", symbol="Paa", files={"Dockerfile": WASTEFUL})
    sync_patterns(tmp_path)
    target = Example.objects.get()
    data = result.to_dict()
    details = data.pop("layer_details")
    verification = Verification.objects.create(
        example=target, example_hash=target.content_hash, state="passed", attempt=1, result=data
    )
    ImageLayers.objects.create(verification=verification, image_name="app", analysis=details["app"])
    writer = details["app"]["edges"][0]["written_by"]
    url = live_server.url + target.pattern.get_absolute_url()
    with chromium(chromium_path) as browser:
        page = browser.new_page()
        page.goto(url)
        # The finding shows beside its line, yet what a copy takes is the Dockerfile, unchanged.
        line = page.locator("#lint-hello-dockerfile-6")
        shown = line.evaluate("element => getComputedStyle(element, '::after').content")
        assert "DL3009" in shown and "costs 123 kB" in shown
        assert page.locator("#hello-file-1-code pre").evaluate("element => element.textContent") == WASTEFUL
        page.get_by_text("Layers and their files").click()
        files_link = page.locator(f'a.layer-list__files[href*="/layers/{writer}/files"]')
        files_link.click()
        expect(files_link).to_have_attribute("aria-expanded", "true")
        for folder in ("var/", "lib/", "apt/", "lists/"):
            link = page.locator("a.file-tree__folder", has_text=folder).first
            link.click()
            expect(link).to_have_attribute("aria-expanded", "true")
        leaf = page.locator(".file-tree__entry--file.file-tree__entry--added", has_text="fake_Packages")
        expect(leaf).to_contain_text("123 kB")
        expect(leaf).to_contain_text("added")
        assert page.url == url  # opened in place, no navigation
        files_link.click()  # closes again
        expect(
            page.locator(".file-tree__entry--file.file-tree__entry--added", has_text="fake_Packages")
        ).to_have_count(0)
