"""The compose step starts a Compose file's services as `docker compose up` does, on the real engine."""

import pytest

from tests.scenario_runs import checks_of, example, run

pytestmark = pytest.mark.docker

# The store answers only after a second, as a database does while it opens its files.
STORE = (
    "FROM busybox:1.35\n"
    "RUN mkdir /www && echo stored > /www/value.txt\n"
    "HEALTHCHECK --interval=1s --timeout=1s --retries=30 CMD wget -q -O /dev/null http://127.0.0.1:8080/value.txt\n"
    'ENTRYPOINT ["sh", "-c", "sleep 1; exec httpd -f -p 8080 -h /www"]\n'
)
# The app asks once at start and says what it got: a dependency that is not ready shows.
APP = (
    "FROM busybox:1.35\n"
    'ENTRYPOINT ["sh", "-c", "wget -q -O - http://store:8080/value.txt || echo no answer; sleep 30"]\n'
)
IMAGES = {"store": {"dockerfile": "Dockerfile.store"}, "app": {"dockerfile": "Dockerfile.app"}}


def compose_file(condition: str, store_networks: str = "[backend]") -> str:
    return (
        "services:\n"
        "  app:\n"
        "    build: {context: ., dockerfile: Dockerfile.app}\n"
        f"    depends_on: {{store: {{condition: {condition}}}}}\n"
        "    networks: [backend, front]\n"
        "  store:\n"
        "    build: {context: ., dockerfile: Dockerfile.store}\n"
        f"    networks: {store_networks}\n"
        "networks:\n  backend: {}\n  front: {}\n"
    )


def scenario_for(compose: str, store: str = STORE, **more):
    steps = [
        {"compose": "docker-compose.yml", "expect": {"started": ["store", "app"]}},
        {"logs": {"container": "app", "retry_for": "5s"}, "expect": {"output_contains": "stored"}},
        # The second network works too: a container there reaches the app by its service name.
        {
            "run": {
                "image": "store",
                "network": "front",
                "entrypoint": ["nslookup", "app"],
            },
            "expect": {"exit_code": 0},
        },
        {"stop": {"container": "app", "timeout": "1s"}},
        {"stop": {"container": "store", "timeout": "1s"}},
    ]
    files = {"Dockerfile.store": store, "Dockerfile.app": APP, "docker-compose.yml": compose}
    return example(steps, images=IMAGES, files=files, **more)


def test_a_healthy_condition_holds_the_app_back_until_the_store_answers(docker_client, labels):
    result, _ = run(docker_client, labels, scenario_for(compose_file("service_healthy")))
    assert result.outcome == "passed", result.detail
    checks = checks_of(result)
    assert checks[(0, "started")].observed == "store, app"
    assert "app waited" in result.steps[0].output and "for store: healthy" in result.steps[0].output


def test_a_started_condition_lets_the_app_meet_a_store_that_is_not_ready(docker_client, labels):
    # A store that opens its files for 20 s: on a loaded machine, starting the app can take longer than
    # the usual second, and the app would then find the store ready by luck.
    slow_store = STORE.replace("sleep 1;", "sleep 20;")
    result, _ = run(docker_client, labels, scenario_for(compose_file("service_started"), store=slow_store))
    assert result.outcome == "failed"
    assert not checks_of(result)[(1, "output_contains")].passed  # the app's one request found nobody
    assert "app waits for store to start: running" in result.steps[0].output


def test_a_healthy_condition_on_a_store_without_a_health_check_ends_the_run(docker_client, labels):
    without = STORE.replace("HEALTHCHECK", "# HEALTHCHECK")
    result, _ = run(docker_client, labels, scenario_for(compose_file("service_healthy"), store=without))
    assert (result.outcome, result.failure_reason) == ("failed", "CHECK_FAILED")
    assert "app depends on store being healthy, and store has no HEALTHCHECK" in result.detail
    assert [report.status for report in result.steps] == ["error", "not run", "not run", "not run", "not run"]


def test_a_completed_condition_waits_for_the_exit_and_refuses_a_failure(docker_client, labels):
    failing = STORE.replace(
        'ENTRYPOINT ["sh", "-c", "sleep 1; exec httpd -f -p 8080 -h /www"]',
        'ENTRYPOINT ["sh", "-c", "sleep 1; exit 3"]',
    )
    result, _ = run(
        docker_client, labels, scenario_for(compose_file("service_completed_successfully"), store=failing)
    )
    assert result.failure_reason == "CHECK_FAILED"
    assert "app depends on store completing, and it exited 3" in result.detail
