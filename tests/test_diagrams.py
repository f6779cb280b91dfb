"""The picture of an example's scenario: its nodes and edges, escaping, determinism, and every real page."""

import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from django.core.cache import cache
from playwright.sync_api import sync_playwright

from catalog.content.importer import sync_patterns
from catalog.content.loader import load_tree
from catalog.diagrams import draw_scenario
from catalog.models import Example, Pattern
from worker.scenario import ImageSpec, Scenario, Step, VolumeSpec, parse_scenario

SVG = "{http://www.w3.org/2000/svg}"
FILES = dict.fromkeys(["Dockerfile.main", "Dockerfile.helper", "index.html"], "")

# A pod, a sidecar that takes the pod's volumes, a store on a network, and a probe of the main port.
POD = {
    "title": "A helper joins the main container",
    "summary": "Shares everything a pod shares.",
    "images": {"main": {"dockerfile": "Dockerfile.main"}, "helper": {"dockerfile": "Dockerfile.helper"}},
    "volumes": {"shared": {"files": {"index.html": "index.html"}}},
    "networks": ["backend"],
    "steps": [
        {"build": "main", "expect": {"succeeds": True}},
        {"run": {"image": "main", "name": "main", "detach": True, "mounts": {"shared": "/srv"}}},
        {
            "run": {
                "image": "helper",
                "name": "helper",
                "detach": True,
                "network": "container:main",
                "pid": "container:main",
                "ipc": "container:main",
            }
        },
        {
            "run": {
                "image": "helper",
                "name": "side",
                "detach": True,
                "volumes_from": ["main"],
                "read_only": True,
            }
        },
        {"run": {"image": "helper", "name": "store", "detach": True, "network": "backend"}},
        {"probe": {"container": "main", "port": 8080, "path": "/"}, "expect": {"status": 200}},
        {"write": {"volume": "shared", "path": "note.txt", "content": "hi"}},
        {"run": {"image": "main"}, "expect": {"exit_code": 0, "output_contains": "ok"}},
        {"stop": {"container": "helper", "timeout": "3s"}, "expect": {"stopped_within": "2s"}},
    ],
}


def parsed(data: dict) -> Scenario:
    scenario, errors = parse_scenario(data, FILES)
    assert not errors, errors
    return scenario


def picture(scenario: Scenario) -> ET.Element:
    return ET.fromstring(draw_scenario(scenario, id_prefix="test").svg)


def nodes(root: ET.Element) -> dict[str, list[int]]:
    """Each node's key with the step numbers on its badges."""
    found = {}
    for group in root.iter(f"{SVG}g"):
        if "diagram__node" in group.get("class", "").split():
            badges = [g.get("data-step") for g in group.iter(f"{SVG}g") if g.get("data-step")]
            found[group.get("data-key")] = [int(number) for number in badges]
    return found


def edges(root: ET.Element) -> set[tuple[str, str, str]]:
    return {
        (group.get("data-kind"), group.get("data-source"), group.get("data-target"))
        for group in root.iter(f"{SVG}g")
        if "diagram__edge" in group.get("class", "").split()
    }


COMPOSE_FILE = """
services:
  app:
    build: {dockerfile: Dockerfile.main}
    depends_on: {store: {condition: service_healthy}}
    networks: [backend]
  store:
    build: {dockerfile: Dockerfile.helper}
    networks: [backend]
networks:
  backend: {}
"""


def test_a_compose_step_draws_each_service_its_network_and_what_it_waits_for():
    data = {
        "title": "Compose",
        "summary": "Two services.",
        "images": {"main": {"dockerfile": "Dockerfile.main"}, "helper": {"dockerfile": "Dockerfile.helper"}},
        "steps": [
            {"compose": "docker-compose.yml", "expect": {"started": ["store", "app"]}},
            {"logs": {"container": "app"}, "expect": {"output_contains": "ready"}},
        ],
    }
    scenario, errors = parse_scenario(data, {**FILES, "docker-compose.yml": COMPOSE_FILE})
    assert errors == []
    diagram = draw_scenario(scenario, id_prefix="c")
    root = ET.fromstring(diagram.svg)
    assert nodes(root) == {
        "image:main": [],
        "image:helper": [],
        "container:store": [1],
        "container:app": [1, 2],
        "network:backend": [],
    }
    assert {
        ("runs", "image:helper", "container:store"),
        ("network", "container:app", "network:backend"),
        ("depends-on", "container:app", "container:store"),
    } <= edges(root)
    titles = [title.text for title in root.iter(f"{SVG}title")]
    assert "app starts once store is healthy (step 1)." in titles
    assert "start docker-compose.yml as docker compose up does: store, then app once store is healthy" in (
        diagram.steps[0].text
    )


def test_every_container_image_volume_and_network_is_a_node_carrying_its_steps():
    found = nodes(picture(parsed(POD)))
    assert found == {
        "image:main": [1],
        "image:helper": [],
        "container:main": [2, 6],
        "container:helper": [3, 9],
        "container:side": [4],
        "container:store": [5],
        "container:run 8": [8],  # an unnamed container is known by the step that ran it
        "volume:shared": [7],
        "network:backend": [],
    }


def test_shared_namespaces_volumes_and_networks_are_distinct_edges():
    assert edges(picture(parsed(POD))) == {
        ("runs", "image:main", "container:main"),
        ("runs", "image:helper", "container:helper"),
        ("runs", "image:helper", "container:side"),
        ("runs", "image:helper", "container:store"),
        ("runs", "image:main", "container:run 8"),
        ("mount", "container:main", "volume:shared"),
        ("network-namespace", "container:helper", "container:main"),
        ("pid-namespace", "container:helper", "container:main"),
        ("ipc-namespace", "container:helper", "container:main"),
        ("volumes-from", "container:side", "container:main"),
        ("network", "container:store", "network:backend"),
    }


def test_the_text_version_says_what_the_picture_shows():
    diagram = draw_scenario(parsed(POD), id_prefix="test")
    lines = {line.number: line.text for line in diagram.steps}
    assert [line.number for line in diagram.steps] == list(range(1, 10))
    assert "joins the network, PID and IPC namespaces of main" in lines[3]
    assert "volumes from main" in lines[4] and "read-only root" in lines[4]
    assert "network backend" in lines[5]
    assert "volume shared at /srv" in lines[2]
    assert lines[6] == "probe main port 8080/"
    assert diagram.summary.startswith("5 containers, 2 images, 1 volume, 1 network; 9 steps")
    assert "helper joins the PID namespace of main." in diagram.summary
    root = picture(parsed(POD))
    assert root.find(f"{SVG}desc").text == diagram.summary
    assert root.get("role") == "img" and root.get("aria-labelledby") == "test-title test-desc"
    assert "port 8080 probed" in "".join(root.itertext())


def test_host_access_is_drawn_as_a_node_of_the_host():
    scenario = parsed(
        {
            **POD,
            "host_access": ["docker-socket"],
            "steps": [{"run": {"image": "main", "name": "boss", "host_access": ["docker-socket"]}, **EXPECT}],
        }
    )
    root = picture(scenario)
    assert nodes(root)["host:docker-socket"] == []
    assert ("host", "container:boss", "host:docker-socket") in edges(root)


EXPECT = {"expect": {"exit_code": 0, "output_contains": "ok"}}


def test_the_same_scenario_gives_the_same_bytes():
    first = draw_scenario(parsed(POD), id_prefix="example-pod").svg
    again = draw_scenario(Scenario.from_dict(parsed(POD).to_dict()), id_prefix="example-pod").svg
    assert first == again


HOSTILE = '<script>alert("x")</script>&amp;'


def test_every_text_is_escaped_even_names_no_parser_would_let_through():
    # Built by hand: the picture must not rely on the parser's name rules to be safe.
    scenario = Scenario(
        title=HOSTILE,
        summary=HOSTILE,
        images=(ImageSpec(HOSTILE, HOSTILE, target=HOSTILE),),
        volumes=(VolumeSpec(HOSTILE),),
        networks=(HOSTILE,),
        steps=(
            Step("run", {"image": HOSTILE, "name": HOSTILE, "detach": True, "mounts": {HOSTILE: HOSTILE}}),
            Step("run", {"image": HOSTILE, "name": "b", "network": HOSTILE, "pid": f"container:{HOSTILE}"}),
            Step("exec", {"container": HOSTILE, "command": [HOSTILE]}, {"output_contains": HOSTILE}),
            Step("write", {"volume": HOSTILE, "path": HOSTILE, "content": HOSTILE}),
        ),
    )
    diagram = draw_scenario(scenario, id_prefix='x"><script>')
    assert "<script>" not in diagram.svg and 'x">' not in diagram.svg
    root = ET.fromstring(diagram.svg)  # still well-formed
    assert HOSTILE in "".join(root.itertext())  # shown as text, not as markup
    assert (f"container:{HOSTILE}") in nodes(root)
    assert ("pid-namespace", "container:b", f"container:{HOSTILE}") in edges(root)


def test_every_example_of_the_real_catalog_draws(settings):
    tree = load_tree(Path(settings.PATTERNS_DIR))
    assert not tree.errors, [str(error) for error in tree.errors]
    for pattern in tree.patterns:
        for example in pattern.examples:
            scenario = Scenario.from_dict(example.scenario)
            root = picture(scenario)
            # A run step starts one container; a compose step one per service, each badged with it.
            started = {
                number: len(step.params["project"]["services"]) if step.action == "compose" else 1
                for number, step in enumerate(scenario.steps, start=1)
                if step.action in ("run", "compose")
            }
            found = nodes(root)
            assert sum(key.startswith("container:") for key in found) == sum(started.values()), example.slug
            badges = sorted(n for steps in found.values() for n in steps)
            assert badges == sorted(
                n for n in range(1, len(scenario.steps) + 1) for _ in range(started.get(n, 1))
            )


@pytest.mark.django_db
def test_every_pattern_page_shows_a_picture_of_every_example(client, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    report = sync_patterns(Path(settings.PATTERNS_DIR))
    assert report.ok, [str(error) for error in report.errors]
    shown = 0
    for pattern in Pattern.objects.published().prefetch_related("examples"):
        html = client.get(pattern.get_absolute_url()).content.decode()
        for example in pattern.examples.all():
            figure = re.search(
                rf'<figure class="diagram-figure" id="example-{example.slug}-setup".*?</figure>', html, re.S
            )
            assert figure, f"{pattern.slug}/{example.slug} has no picture"
            svg = re.search(r"<svg .*?</svg>", figure.group(), re.S).group()
            root = ET.fromstring(svg)
            assert root.get("class") == "diagram"
            assert len(figure.group().split("<li ")) - 1 == len(example.parsed_scenario.steps)
            shown += 1
    assert shown == Example.objects.filter(pattern__published=True).count() > 0


PHONE = {"width": 390, "height": 844}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_on_a_phone_the_picture_fits_stays_legible_and_follows_the_colour_scheme(
    live_server, transactional_db, settings, chromium_path, scheme
):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()
    assert sync_patterns(Path(settings.PATTERNS_DIR)).ok
    pattern = Pattern.objects.published().filter(examples__isnull=False).order_by("slug").first()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=chromium_path, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_context(viewport=PHONE, color_scheme=scheme).new_page()
            errors = []
            page.on(
                "console", lambda message: errors.append(message.text) if message.type == "error" else None
            )
            for path in (pattern.get_absolute_url(), "/relations/"):
                page.goto(live_server.url + path)
                assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0, path
            page.goto(live_server.url + pattern.get_absolute_url())
            picture = page.locator("svg.diagram").first
            shown = picture.bounding_box()["width"]
            drawn = float(picture.get_attribute("viewBox").split()[2])
            assert shown / drawn > 0.8, f"drawn at {shown / drawn:.0%} of its size: too small to read"
            # The site's colours, not the light defaults written in the SVG.
            fill = page.locator("svg.diagram .diagram__name").first.evaluate("e => getComputedStyle(e).fill")
            page_text = page.evaluate("getComputedStyle(document.body).color")
            assert fill == page_text
            assert errors == []  # no CSP report: the picture has no inline style
        finally:
            browser.close()


def test_the_steps_of_a_mistake_and_of_its_fix_are_told_apart():
    run = {"run": {"image": "main"}, **EXPECT}
    diagram = draw_scenario(
        parsed({**POD, "steps": [{"side": "before", **run}, {"side": "after", **run}]}), id_prefix="t"
    )
    root = ET.fromstring(diagram.svg)
    badges = {g.get("data-step"): g.get("class") for g in root.iter(f"{SVG}g") if g.get("data-step")}
    assert badges == {"1": "diagram__step diagram__step--before", "2": "diagram__step diagram__step--after"}
    assert [line.side for line in diagram.steps] == ["before", "after"]
    assert diagram.steps[0].text == "start an unnamed container (run 1) from image main"
    legend = "".join(next(g for g in root.iter(f"{SVG}g") if g.get("class") == "diagram__legend").itertext())
    assert "a step of the mistake" in legend and "a step of the fix" in legend
