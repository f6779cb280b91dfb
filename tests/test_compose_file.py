"""A Compose file is read into the project a compose step starts, or refused by the key at fault."""

import pytest

from worker.compose_file import NAME, ComposeProject, read_compose
from worker.scenario import parse_scenario
from worker.scenario.declared import NAME as SCENARIO_NAME

BUILDS = {
    ("Dockerfile.store", None): "store",
    ("Dockerfile.app", None): "app",
    ("Dockerfile", "test"): "tests",
}

TWO_SERVICES = """
services:
  app:
    build: {context: ., dockerfile: Dockerfile.app}
    environment: {STORE_URL: "http://store:8080"}
    depends_on:
      store: {condition: service_healthy}
    networks: [backend, front]
    ports: ["8000:8000"]
  store:
    build: {context: ., dockerfile: Dockerfile.store}
    networks: [backend]
    user: "65534"
networks:
  front: {}
  backend:
"""


def read(text: str):
    return read_compose("docker-compose.yml", text, BUILDS)


def test_services_start_dependencies_first_on_their_networks_with_the_images_the_example_builds():
    project, errors = read(TWO_SERVICES)
    assert errors == []
    assert [service.name for service in project.services] == ["store", "app"]
    store, app = project.services
    assert (store.image, store.networks, store.user) == ("store", ("backend",), "65534")
    assert (app.image, app.networks, app.ports) == ("app", ("backend", "front"), ("8000:8000",))
    assert app.depends_on == {"store": "service_healthy"}
    assert app.environment == {"STORE_URL": "http://store:8080"}
    assert project.networks == ("backend", "front")
    assert ComposeProject.from_dict(project.to_dict()) == project


def test_a_plain_dependency_list_means_started_and_no_networks_means_the_default_one():
    project, _ = read(
        "services:\n"
        "  app: {build: {dockerfile: Dockerfile.app}, depends_on: [store], environment: [MODE=dev]}\n"
        "  store: {build: {dockerfile: Dockerfile.store}}\n"
    )
    app = project.services[1]
    assert app.depends_on == {"store": "service_started"} and app.environment == {"MODE": "dev"}
    assert app.networks == ("default",) and project.networks == ("default",)


def test_a_build_stage_picks_the_image_built_from_that_stage():
    project, _ = read("services:\n  unit: {build: {dockerfile: Dockerfile, target: test}}\n")
    assert project.services[0].image == "tests"


@pytest.mark.parametrize(
    ("text", "key", "words"),
    [
        ("services:\n  db: {image: postgres:16}\n", "services.db.image", "not run by the verifier"),
        ("services:\n  db: {image: postgres:16}\n", "services.db.build", "never pulls"),
        (
            "services:\n  app: {build: {dockerfile: Dockerfile.other}}\n",
            "services.app.build",
            "Dockerfile.other",
        ),
        ("services:\n  app: {build: ../elsewhere}\n", "services.app.build.context", "only build context"),
        (
            "services:\n  app: {build: {dockerfile: Dockerfile.app}, depends_on: {store: {condition: up}}}\n"
            "  store: {build: {dockerfile: Dockerfile.store}}\n",
            "services.app.depends_on.store.condition",
            "service_healthy",
        ),
        (
            "services:\n  app: {build: {dockerfile: Dockerfile.app}, depends_on: [cache]}\n",
            "services.app.depends_on",
            "'cache' is not a service",
        ),
        (
            "services:\n  app: {build: {dockerfile: Dockerfile.app}, depends_on: [store]}\n"
            "  store: {build: {dockerfile: Dockerfile.store}, depends_on: [app]}\n",
            "services.app.depends_on",
            "app -> store -> app",
        ),
        (
            "services:\n  app: {build: {dockerfile: Dockerfile.app}, networks: [back]}\n",
            "services.app.networks",
            "'back'",
        ),
        (
            "services:\n  app: {build: {dockerfile: Dockerfile.app}, networks: [back]}\n"
            "networks:\n  back: {driver: host}\n",
            "networks.back",
            "not run by the verifier",
        ),
        (
            "services:\n  app: {build: {dockerfile: Dockerfile.app}, environment: [TOKEN]}\n",
            "services.app.environment",
            "NAME=value",
        ),
        (
            "services:\n  app: {build: {dockerfile: Dockerfile.app}, ports: [lots]}\n",
            "services.app.ports",
            "port",
        ),
        (
            "services:\n  app: {build: {dockerfile: Dockerfile.app}, privileged: true}\n",
            "services.app.privileged",
            "supported here",
        ),
        (
            "volumes: {data: {}}\nservices:\n  app: {build: {dockerfile: Dockerfile.app}}\n",
            "volumes",
            "not run",
        ),
        ("services: []\n", "services", "expected a mapping"),
        ("services: {app: [\n", "", "not valid YAML"),
    ],
)
def test_what_the_verifier_would_not_run_is_refused_by_the_key_at_fault(text, key, words):
    project, errors = read(text)
    assert project is None
    assert any(error.key == key and words in error.message for error in errors), errors


SCENARIO = {
    "title": "t",
    "summary": "s",
    "images": {"store": {"dockerfile": "Dockerfile.store"}, "app": {"dockerfile": "Dockerfile.app"}},
    "steps": [
        {"compose": "docker-compose.yml", "expect": {"started": ["store", "app"]}},
        {"logs": {"container": "app"}, "expect": {"output_contains": "ready"}},
        {"run": {"image": "app", "network": "front"}, "expect": {"exit_code": 0}},
    ],
}


def test_the_steps_after_a_compose_step_name_its_services_and_networks():
    files = {"docker-compose.yml": TWO_SERVICES, "Dockerfile.store": "", "Dockerfile.app": ""}
    scenario, errors = parse_scenario(SCENARIO, files)
    assert errors == []
    project = scenario.steps[0].params["project"]
    assert project["file"] == "docker-compose.yml" and [s["name"] for s in project["services"]] == [
        "store",
        "app",
    ]


def test_a_broken_compose_file_is_reported_with_the_step_the_file_and_its_key():
    broken = TWO_SERVICES.replace("service_healthy", "service_ready")
    files = {"docker-compose.yml": broken, "Dockerfile.store": "", "Dockerfile.app": ""}
    scenario, errors = parse_scenario(SCENARIO, files)
    assert scenario is None
    assert errors[0].field == "steps[0].compose.project"
    assert errors[0].message.startswith(
        "docker-compose.yml, services.app.depends_on.store.condition: expected"
    )


def test_a_compose_file_the_example_does_not_hold_is_named():
    _, errors = parse_scenario(SCENARIO, {"Dockerfile.store": "", "Dockerfile.app": ""})
    assert errors[0].field == "steps[0].compose.project" and "'docker-compose.yml'" in errors[0].message


def test_a_service_may_not_take_the_name_of_a_container_an_earlier_step_started():
    files = {"docker-compose.yml": TWO_SERVICES, "Dockerfile.store": "", "Dockerfile.app": ""}
    earlier = {"run": {"image": "store", "name": "store", "detach": True}}
    _, errors = parse_scenario({**SCENARIO, "steps": [earlier, *SCENARIO["steps"]]}, files)
    assert errors[0].field == "steps[1].compose.project"
    assert errors[0].message == "a container named 'store' was already started by a step"


def test_services_and_networks_follow_the_scenario_name_rule():
    assert NAME.pattern == SCENARIO_NAME.pattern
