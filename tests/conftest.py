"""Fixtures for the real services the suite uses, and a check that tests leave no Docker objects."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import docker

# Subprocesses the tests start (a worker, a runner) inherit the id and label with it too.
RUN_ID = os.environ.setdefault("CATALOG_TEST_RUN", uuid.uuid4().hex[:12])
IN_CI = os.environ.get("CI") == "true"
LABELS = {"catalog.owner": "tests", "catalog.test-run": RUN_ID}

# A test that uses one of these fixtures gets the marker, so `-m docker` selects it.
MARKER_FOR_FIXTURE = {
    "docker_client": "docker",
    "sandbox_client": "docker",
    "redis_url": "redis",
    "chromium_path": "browser",
    "postgres_url": "postgres",
}
# `make test` re-runs `-m django_db` on PostgreSQL: a test that reaches the database through
# a fixture rather than the marker must be selected too.
DATABASE_FIXTURES = {"db", "transactional_db", "live_server"}

_engine_used = False
_sandbox_used = False  # the sandboxed engine was used: the session end checks it for leftovers too


def require(service_name: str, ok: bool, how_to_fix: str) -> None:
    """Skip the test when a service is missing; under CI=true fail it, since CI must have it."""
    if ok:
        return
    message = f"{service_name} is not available: {how_to_fix}"
    if IN_CI:
        pytest.fail(f"{message} (CI=true: a missing service is a failure)", pytrace=False)
    pytest.skip(message)


def _line(error: Exception) -> str:
    return " ".join(str(error).split()).rstrip(".")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        for fixture, marker in MARKER_FOR_FIXTURE.items():
            if fixture in names:
                item.add_marker(marker)
        if names & DATABASE_FIXTURES or _is_django_db_testcase(item):
            item.add_marker("django_db")


def _is_django_db_testcase(item: pytest.Item) -> bool:
    from django.test import TransactionTestCase

    cls = getattr(item, "cls", None)
    return cls is not None and issubclass(cls, TransactionTestCase)


def pytest_report_header() -> list[str]:
    from django.conf import settings

    database = settings.DATABASES["default"]
    where = database.get("HOST") or database["NAME"]
    engine = database["ENGINE"].rsplit(".", 1)[-1]
    return [f"catalog: test run {RUN_ID}, CI={IN_CI}, database {engine} at {where}"]


def pytest_sessionstart(session: pytest.Session) -> None:
    from django.conf import settings

    # The PostgreSQL pass is worthless if the settings quietly ignored DATABASE_URL.
    wanted = os.environ.get("DATABASE_URL", "")
    engine = settings.DATABASES["default"]["ENGINE"]
    if wanted.startswith("postgres") and "postgresql" not in engine:
        raise pytest.UsageError(f"DATABASE_URL asks for PostgreSQL but the settings use {engine}")


def _connect_engine() -> docker.DockerClient:
    import docker

    try:
        # docker-py 7.2 otherwise follows the CLI's current context, which may point elsewhere.
        return docker.from_env(use_context=False)
    except TypeError:  # docker-py before 7.2 has no use_context and no context fallback
        return docker.from_env()


@pytest.fixture(scope="session")
def docker_client() -> Iterator[docker.DockerClient]:
    """A docker-py client for the real engine (DOCKER_HOST or the local socket)."""
    global _engine_used
    import docker
    import requests

    try:
        client = _connect_engine()
        client.ping()
    except (docker.errors.DockerException, requests.RequestException) as error:
        require("Docker engine", False, f"{_line(error)}; run `make services` as root, or start dockerd")
    _engine_used = True
    yield client
    client.close()


@pytest.fixture(scope="session")
def sandbox_client():
    """A client for the sandboxed engine (gVisor, no network) that `make services` starts."""
    global _sandbox_used
    from django.conf import settings

    from worker.sandbox_engine import sandbox_client as connect_sandbox
    from worker.sandbox_engine import sandbox_status

    status = sandbox_status(settings.SANDBOX_DOCKER_HOST)
    require("the sandboxed engine", status.ready, f"{status.problem} (`make services` as root starts it)")
    _sandbox_used = True
    client = connect_sandbox(settings.SANDBOX_DOCKER_HOST, timeout=120)
    yield client
    client.close()


@pytest.fixture
def patterns_tree(tmp_path, settings):
    """Two written patterns as PATTERNS_DIR, and no workshops: the tree a contributor's draft is checked
    against and an accepted submission is written into."""
    from tests import factories

    root = tmp_path / "patterns"
    factories.write_tree(root, count=2)
    settings.PATTERNS_DIR = root
    settings.WORKSHOPS_DIR = tmp_path / "workshops"  # the repository's workshops name other patterns
    return root


@pytest.fixture
def docker_labels() -> dict[str, str]:
    """Labels for everything a test creates in Docker; the session end checks nothing kept them."""
    return dict(LABELS)


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The URL of a Redis that answers PING."""
    import redis

    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6390/0")
    try:
        with redis.Redis.from_url(url, socket_connect_timeout=2) as client:
            client.ping()
    except redis.RedisError as error:
        require("Redis", False, f"{url}: {_line(error)}; run `make services`")
    return url


@pytest.fixture(scope="session")
def postgres_url() -> str:
    """The URL of a PostgreSQL database the tests may use (a role that may create databases)."""
    import psycopg

    url = os.environ.get("TEST_DATABASE_URL", "postgres://catalog:catalog@127.0.0.1:5432/catalog")
    try:
        with psycopg.connect(url, connect_timeout=3):
            pass
    except psycopg.Error as error:
        require("PostgreSQL", False, f"{_line(error)}; run `make services` as root")
    return url


@pytest.fixture(scope="session")
def chromium_path() -> str:
    """The Chromium binary Playwright launches with executable_path."""
    path = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    require("Chromium", os.access(path, os.X_OK), f"no {path}: apt-get install chromium")
    return path


@pytest.fixture(scope="session", autouse=True)
def _no_docker_leftovers() -> Iterator[None]:
    # Session-scoped and autouse, so it is set up first and torn down after every other fixture.
    yield
    leftovers = []
    if _engine_used:
        client = _connect_engine()
        try:
            leftovers += _remove_labelled(client, {"label": f"catalog.test-run={RUN_ID}"})
        finally:
            client.close()
    if _sandbox_used:
        from django.conf import settings

        from worker.sandbox_engine import sandbox_client as connect_sandbox

        client = connect_sandbox(settings.SANDBOX_DOCKER_HOST, timeout=120)
        try:
            found = _remove_labelled(client, {"label": f"catalog.test-run={RUN_ID}"})
            leftovers += [f"sandbox {item}" for item in found]
        finally:
            client.close()
    if leftovers:
        pytest.fail(f"tests left Docker objects behind (now removed): {', '.join(leftovers)}", pytrace=False)


def _remove_labelled(client: docker.DockerClient, filters: dict[str, str]) -> list[str]:
    """Remove what this run labelled, in dependency order; return what was there."""
    found = []
    for container in client.containers.list(all=True, filters=filters):
        found.append(f"container {container.name}")
        container.remove(force=True, v=True)
    for network in client.networks.list(filters=filters):
        found.append(f"network {network.name}")
        network.remove()
    for volume in client.volumes.list(filters=filters):
        found.append(f"volume {volume.name}")
        volume.remove(force=True)
    for image in client.images.list(filters=filters):
        found.append(f"image {image.short_id} {image.tags}")
        client.images.remove(image.id, force=True)
    return found


@pytest.fixture
def labels(docker_client, docker_labels) -> Iterator[dict[str, str]]:
    yield from labelled(docker_client, docker_labels)


def labelled(client: docker.DockerClient, base_labels: dict[str, str]) -> Iterator[dict[str, str]]:
    """Per-test labels; afterwards nothing but images may carry them, and the images are removed."""
    from worker.engine.client import label_filters
    from worker.images.builder import remove_images

    labels = {**base_labels, "catalog.test": uuid.uuid4().hex[:12]}
    yield labels
    selector = label_filters(labels)
    leftovers = [f"container {c.name}" for c in client.containers.list(all=True, filters=selector)]
    leftovers += [f"volume {v.name}" for v in client.volumes.list(filters=selector)]
    leftovers += [f"network {n.name}" for n in client.networks.list(filters=selector)]
    for container in client.containers.list(all=True, filters=selector):
        container.remove(force=True, v=True)
    remove_images(client, labels)
    assert not leftovers, f"the run left {leftovers}"


@pytest.fixture
def nowhere() -> docker.DockerClient:
    """A client for an engine that does not exist: any engine call through it raises."""
    import docker

    return docker.DockerClient(base_url="unix:///nonexistent.sock", version="1.41", timeout=2)


@pytest.fixture
def broker(redis_url):
    """An empty Redis broker for worker processes the test starts."""
    import redis

    # The site and the worker read the broker from the environment; `make test` sets it.
    require("REDIS_URL", bool(os.environ.get("REDIS_URL")), "export REDIS_URL=redis://127.0.0.1:6390/0")
    with redis.Redis.from_url(redis_url) as client:
        client.delete("verify", "celery", "unacked", "unacked_index")
    return redis_url


@pytest.fixture(autouse=True)
def private_page_cache(settings):
    """Each test renders its own pages: the suite's file cache outlives the test database, so a page
    cached by an earlier run under the same generation number could otherwise be served again."""
    from django.core.cache import cache

    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    cache.clear()


@pytest.fixture
def example(tmp_path):
    """The first of two synced patterns' example, for the page tests."""
    from catalog.content.importer import sync_patterns
    from catalog.models import Example
    from tests import factories

    factories.write_tree(tmp_path, count=2)
    assert sync_patterns(tmp_path).ok
    return Example.objects.get(pattern__slug="pattern-0", slug="hello")


@pytest.fixture(scope="module")
def site_pages(django_db_setup, django_db_blocker):
    """Every page family of the site served with the rows each needs (tests/site_pages.py), for a module."""
    from tests.site_pages import serve_site_pages

    with serve_site_pages(django_db_blocker) as pages:
        yield pages


@pytest.fixture
def memory_broker(monkeypatch):
    """Celery publishes for real, into kombu's in-memory broker, so the test reads the messages back."""
    from catalog import celery_app
    from tests.verification_pages import drain_verify_queue

    conf = celery_app.conf
    saved = {key: conf[key] for key in ("broker_url", "task_always_eager")}
    conf.update(broker_url="memory://", task_always_eager=False)
    # Forget connections made for another broker earlier in this process.
    monkeypatch.setattr(celery_app, "_pool", None)
    monkeypatch.setattr(celery_app.amqp, "_producer_pool", None)
    drain_verify_queue()
    try:
        yield
    finally:
        drain_verify_queue()
        conf.update(saved)


@pytest.fixture(scope="module")
def busybox(docker_client):
    """busybox:1.35 on the engine, for the modules whose scenarios build on it."""
    from tests.test_builder import ensure_busybox

    return ensure_busybox(docker_client)


def pytest_terminal_summary(terminalreporter) -> None:
    """The fault suite's table (tests/test_faults.py), when it ran, also kept in var/test/faults.txt."""
    from django.conf import settings

    from tests.fault_checks import TABLE, table_text

    if not TABLE:
        return
    text = table_text()
    terminalreporter.write_sep("=", "faults: what each one cost")
    terminalreporter.write_line(text)
    (settings.VAR_DIR / "faults.txt").write_text(text + "\n")
