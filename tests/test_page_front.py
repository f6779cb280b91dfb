"""The page-cache front under granian: hits equal misses, nothing personal is shared, bumps arrive in time."""

from __future__ import annotations

import http.client
import os
import secrets
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from catalog.serving.page_cache import CACHE_HEADER
from catalog.serving.page_front import PageFront
from tests import factories
from tests.test_page_cache import SITE_HEADERS

REPO = Path(__file__).resolve().parent.parent
GRANIAN = Path(sys.executable).parent / "granian"
HOST = "127.0.0.1"
POLL_SECONDS = 0.25
PATTERN_PAGE = "/patterns/pattern-0/"
# Added by granian to every answer, not by the site.
SERVER_HEADERS = {"date", "server"}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: list[tuple[str, str]]  # names lower-cased, in the order received
    body: bytes

    def header(self, name: str) -> str | None:
        return next((value for key, value in self.headers if key == name.lower()), None)

    def site_headers(self) -> list[tuple[str, str]]:
        """What Django decided: no server headers, no page-cache marker."""
        return [(k, v) for k, v in self.headers if k not in SERVER_HEADERS and k != CACHE_HEADER.lower()]


@dataclass(frozen=True)
class Site:
    port: int
    env: dict[str, str]
    tree: Path

    def request(self, path: str, method: str = "GET", headers: dict[str, str] | None = None) -> Answer:
        # A new connection each time, so the requests spread over granian's worker processes.
        connection = http.client.HTTPConnection(HOST, self.port, timeout=10)
        try:
            connection.request(method, path, headers=headers or {})
            response = connection.getresponse()
            body = response.read()
            headers = [(name.lower(), value) for name, value in response.getheaders()]
            return Answer(response.status, headers, body)
        finally:
            connection.close()

    def raw_head(self, path: str) -> tuple[bytes, bytes]:
        """A HEAD over HTTP/1.0, read to the end: the header block and whatever bytes followed it."""
        with socket.create_connection((HOST, self.port), timeout=10) as sock:
            sock.sendall(f"HEAD {path} HTTP/1.0\r\nHost: {HOST}:{self.port}\r\n\r\n".encode())
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        head, _, rest = data.partition(b"\r\n\r\n")
        return head, rest

    def until_hit(self, path: str) -> Answer:
        for _ in range(50):  # each worker process fills its own memo on its first visit
            answer = self.request(path)
            if answer.header(CACHE_HEADER) == "hit":
                return answer
        pytest.fail(f"{path} never became a page-cache hit")

    def manage(self, *args: str, **env: str) -> None:
        command = [sys.executable, "manage.py", *args]
        subprocess.run(command, cwd=REPO, env={**self.env, **env}, check=True, capture_output=True)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def site_env(var: Path, cache_url: str) -> dict[str, str]:
    # Nothing of the caller's services but the cache named here; production settings.
    skip = {"DATABASE_URL", "REDIS_URL", "CACHE_URL", "CELERY_BROKER_URL", "PATTERNS_DIR"}
    env = {k: v for k, v in os.environ.items() if k not in skip}
    env.update(
        CATALOG_VAR_DIR=str(var),
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS=HOST,
        CACHE_URL=cache_url,
        CELERY_BROKER_URL="filesystem://",
        LOG_LEVEL="WARNING",
        PAGE_CACHE_POLL_SECONDS=str(POLL_SECONDS),
    )
    return env


@contextmanager
def granian(env: dict[str, str], log: Path) -> Iterator[int]:
    """catalog.wsgi:application under granian, two worker processes as in production; yields the port."""
    port = free_port()
    command = [str(GRANIAN), "--interface", "wsgi", "--host", HOST, "--port", str(port), "--workers", "2"]
    command += ["--blocking-threads", "2", "--no-ws", "--log-level", "warning", "catalog.wsgi:application"]
    with log.open("ab") as out:
        process = subprocess.Popen(command, cwd=REPO, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while not answers(port):
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"granian did not answer (exit code {process.poll()}):\n{log.read_text()}")
            time.sleep(0.2)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def answers(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture(scope="module", params=[pytest.param("redis", marks=pytest.mark.redis), "file"])
def site(request, tmp_path_factory) -> Iterator[Site]:
    """Two synced patterns served by granian with the Redis or the file cache."""
    folder = tmp_path_factory.mktemp(f"site-{request.param}")
    cache_url = request.getfixturevalue("redis_url") if request.param == "redis" else ""
    tree = folder / "patterns"
    factories.write_tree(tree, count=2)
    env = site_env(folder / "var", cache_url)
    site = Site(0, env, tree)
    site.manage("migrate", "--noinput")
    site.manage("sync_patterns", "--path", str(tree))  # bumps the generation: no page of an earlier run
    site.manage("collectstatic", "--noinput")
    with granian(env, folder / "granian.log") as port:
        yield Site(port, env, tree)


def test_the_wsgi_application_is_the_front():
    from catalog.wsgi import application

    assert isinstance(application, PageFront)


def test_a_hit_is_the_miss_byte_for_byte_and_header_by_header(site):
    site.manage("shell", "-c", "from catalog.serving import page_cache; page_cache.bump_generation()")
    time.sleep(POLL_SECONDS)  # until then a worker may still answer with the page of before
    for path in ("/", PATTERN_PAGE):
        miss = site.request(path)
        assert miss.header(CACHE_HEADER) == "miss"
        hits = [site.until_hit(path), *(site.request(path) for _ in range(10))]
        for hit in hits:  # hits from the front and, in a worker's first visit, from the middleware
            assert hit.header(CACHE_HEADER) == "hit"
            assert hit.status == miss.status == 200
            assert hit.site_headers() == miss.site_headers()
            assert hit.body == miss.body
        assert int(hit.header("Content-Length")) == len(hit.body)
        for name in SITE_HEADERS:
            assert hit.header(name), name


def test_head_gets_the_headers_of_get_and_no_body(site):
    get = site.until_hit("/")
    for _ in range(4):  # hits from both workers' memos
        head, rest = site.raw_head("/")
        assert rest == b""
        assert b"200 OK" in head.split(b"\r\n")[0]
        assert f"content-length: {len(get.body)}".encode() in head.lower()
    answer = site.request("/", method="HEAD")
    assert answer.site_headers() == get.site_headers()


@pytest.mark.parametrize(
    "headers",
    [
        {"Cookie": "sessionid=someone"},
        {"Cookie": "csrftoken=abc"},
        {"Cookie": "theme=dark"},
        {"Authorization": "Basic eDp5"},
    ],
    ids=["session", "csrf", "any cookie", "credentials"],
)
def test_requests_with_personal_state_are_never_answered_from_the_cache(site, headers):
    site.until_hit("/")
    for _ in range(4):
        answer = site.request("/", headers=headers)
        assert answer.status == 200
        assert answer.header(CACHE_HEADER) is None


def test_only_get_and_head_are_shared(site):
    site.until_hit("/")
    assert site.request("/", method="OPTIONS").header(CACHE_HEADER) is None
    assert site.request("/", method="POST").header(CACHE_HEADER) is None  # a 403: no CSRF token


def test_an_unknown_host_is_refused_even_when_the_page_is_cached(site):
    site.until_hit("/")
    assert site.request("/", headers={"Host": "evil.example"}).status == 400


def test_not_found_static_and_uncached_pages_still_work(site):
    for _ in range(3):
        missing = site.request("/patterns/nope/")
        assert missing.status == 404
        assert missing.header(CACHE_HEADER) is None
        assert b"This page is not in the catalog" in missing.body
    stylesheet = site.request("/static/css/site.css")
    assert stylesheet.status == 200
    assert stylesheet.header("Content-Type").startswith("text/css")
    health = site.request("/healthz")
    assert (health.status, health.body, health.header(CACHE_HEADER)) == (200, b"ok\n", None)


def test_a_bump_by_another_process_is_seen_within_the_poll_interval(site):
    before = site.until_hit(PATTERN_PAGE)
    assert b"Summary of pattern-0." in before.body
    # New content in the database, but synced against a private cache: no bump reaches the site.
    meta = factories.front_matter("pattern-0", symbol="Paa", summary="A brand new summary.")
    factories.write_pattern(site.tree, "pattern-0", meta=meta)
    site.manage("sync_patterns", "--path", str(site.tree), CACHE_URL="locmem://")
    assert all(b"Summary of pattern-0." in site.request(PATTERN_PAGE).body for _ in range(6))

    site.manage("shell", "-c", "from catalog.serving import page_cache; page_cache.bump_generation()")
    bumped = time.monotonic()
    late = []  # requests sent more than the bound after the bump: the page each got
    while time.monotonic() < bumped + 4 * POLL_SECONDS:
        sent = time.monotonic()
        body = site.request(PATTERN_PAGE).body
        if sent >= bumped + POLL_SECONDS:
            late.append(b"A brand new summary." in body)
    assert len(late) >= 10
    assert all(late), f"{late.count(False)} of {len(late)} requests after the bound got the old page"


def test_pages_are_served_uncached_while_the_shared_cache_is_down(tmp_path):
    tree = tmp_path / "patterns"
    factories.write_tree(tree, count=2)
    env = site_env(tmp_path / "var", f"redis://{HOST}:{free_port()}/0")  # nothing listens there
    loader = Site(0, env, tree)
    loader.manage("migrate", "--noinput", CACHE_URL="locmem://")
    loader.manage("sync_patterns", "--path", str(tree), CACHE_URL="locmem://")
    with granian(env, tmp_path / "granian.log") as port:
        site = Site(port, env, tree)
        for _ in range(2):
            answer = site.request("/")
            assert answer.status == 200 and b"Pattern number 0" in answer.body
            assert "x-page-cache" not in {name.lower() for name, _ in answer.headers}
