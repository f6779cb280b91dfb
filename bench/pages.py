"""Page-serving benchmark: cached pages from Django under granian against the same HTML from nginx."""

from __future__ import annotations

import argparse
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
TARGET_RATIO = 0.30
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
SECONDS_PER_UNIT = {"us": 1e-6, "ms": 1e-3, "s": 1.0}
HEADER = f"{'req/s':>8} {'p99 ms':>8} {'µs CPU/req':>10} {'errors':>6}"
NGINX_CONF = """\
worker_processes auto;
daemon off;
pid {dir}/nginx.pid;
events {{ worker_connections 1024; }}
http {{
    access_log off;
    sendfile on;
    tcp_nopush on;
    default_type text/html;
    client_body_temp_path {dir}/body;
    proxy_temp_path {dir}/proxy;
    fastcgi_temp_path {dir}/fastcgi;
    uwsgi_temp_path {dir}/uwsgi;
    scgi_temp_path {dir}/scgi;
    server {{
        listen {host}:{port};
        root {docroot};
    }}
}}
"""


@dataclass(frozen=True)
class Options:
    duration: int
    rounds: int
    connections: int
    threads: int
    cache: str
    workers: int
    blocking_threads: int


@dataclass(frozen=True)
class Server:
    name: str
    base: str
    processes: tuple[subprocess.Popen, ...]  # their whole trees are charged for CPU time


@dataclass(frozen=True)
class Load:
    requests_per_second: float
    errors: int
    p99_latency: float  # seconds
    cpu_per_request: float  # seconds of CPU the server's processes spent per request


def parse_options() -> Options:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; medians are reported")
    parser.add_argument("--connections", type=int, default=32, help="wrk connections")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--cache", choices=("redis", "file", "locmem"), default="redis", help="site cache")
    parser.add_argument("--workers", type=int, default=2, help="granian worker processes")
    parser.add_argument("--blocking-threads", type=int, default=2, help="granian Python threads per worker")
    return Options(**vars(parser.parse_args()))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def answers(url: str) -> bool:
    try:
        if url.startswith("redis://"):
            port = int(url.rsplit(":", 1)[1].split("/")[0])
            socket.create_connection((HOST, port), timeout=2).close()
        else:
            urllib.request.urlopen(url, timeout=2).close()
    except OSError:
        return False
    return True


def wait_for(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not answers(url):
        if process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with {process.returncode} before answering")
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer within {timeout:.0f}s")
        time.sleep(0.2)


def fetch(url: str) -> tuple[str, bytes]:
    """The X-Page-Cache header and the body of a GET."""
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.headers.get("X-Page-Cache", ""), response.read()


def start(command: list[str], log: Path, **kwargs: object) -> subprocess.Popen:
    # Output goes to a file: a pipe nobody reads would stall a busy server.
    with log.open("ab") as out:
        return subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT, **kwargs)


def stop(processes: list[subprocess.Popen]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def tree_cpu_seconds(roots: tuple[subprocess.Popen, ...]) -> float:
    """User and system CPU time of the processes and all their living descendants."""
    stats: dict[int, tuple[int, float]] = {}
    for stat_file in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat_file.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # the process ended while we looked
        ppid, utime, stime = int(fields[1]), int(fields[11]), int(fields[12])
        stats[int(stat_file.parent.name)] = (ppid, (utime + stime) / CLOCK_TICKS)
    wanted = {process.pid for process in roots}
    while grown := {pid for pid, (ppid, _) in stats.items() if ppid in wanted} - wanted:
        wanted |= grown
    return sum(stats[pid][1] for pid in wanted if pid in stats)


def site_environment(var_dir: Path, cache_url: str) -> dict[str, str]:
    # Nothing of the caller's services: no task may reach a real broker, no page a real cache.
    inherited = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL", "PATTERNS_DIR")}
    return {
        **inherited,
        "CATALOG_VAR_DIR": str(var_dir),
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": f"sqlite:///{var_dir / 'catalog.sqlite3'}",
        "CACHE_URL": cache_url,
        "CELERY_BROKER_URL": "filesystem://",
        "LOG_LEVEL": "WARNING",
    }


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    command = [str(BIN / "python"), str(ROOT / "manage.py"), *args]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300)


def prepare_site(env: dict[str, str], scratch: Path) -> None:
    """A fresh database holding the real patterns/, or a generated tree if patterns/ is mid-edit."""
    manage(env, "migrate", "--noinput").check_returncode()
    if manage(env, "sync_patterns").returncode != 0:
        tree = scratch / "patterns"
        generate = "import sys, pathlib, tests.factories as f; f.write_tree(pathlib.Path(sys.argv[1]), 5)"
        subprocess.run([str(BIN / "python"), "-c", generate, str(tree)], cwd=ROOT, check=True)
        print("patterns/ does not sync (mid-edit?); using a generated tree of 5 patterns")
        manage(env, "sync_patterns", "--path", str(tree)).check_returncode()
    manage(env, "collectstatic", "--noinput").check_returncode()


def start_redis(scratch: Path) -> tuple[subprocess.Popen, str]:
    # A private, memory-only Redis, so the benchmark neither needs nor touches another one.
    port = free_port()
    command = ["redis-server", "--bind", HOST, "--port", str(port), "--save", "", "--appendonly", "no"]
    process = start(command, scratch / "redis.log", cwd=scratch)
    url = f"redis://{HOST}:{port}/0"
    wait_for(url, process)
    return process, url


def start_granian(env: dict[str, str], options: Options, log: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    command = [str(BIN / "granian"), "--interface", "wsgi", "--host", HOST, "--port", str(port)]
    command += ["--workers", str(options.workers), "--blocking-threads", str(options.blocking_threads)]
    command += ["--no-ws", "--log-level", "warning", "catalog.wsgi:application"]
    process = start(command, log, env=env, cwd=ROOT)
    base = f"http://{HOST}:{port}"
    wait_for(f"{base}/healthz", process)
    return process, base


def first_pattern_path(home: bytes) -> str:
    match = re.search(rb'href="(/patterns/[a-z0-9-]+/)"', home)
    if match is None:
        raise RuntimeError("the home page links to no pattern")
    return match.group(1).decode()


def snapshot_pages(base: str, docroot: Path) -> list[str]:
    """Warms the page cache, checks that visits are cache hits, and saves the HTML for nginx."""
    _, home = fetch(f"{base}/")
    paths = ["/", first_pattern_path(home)]
    for path in paths:
        # A few visits, since with a per-process cache (locmem) each worker must see the page once.
        for _ in range(10):
            state, body = fetch(f"{base}{path}")
            if state == "hit":
                break
        else:
            raise RuntimeError(f"{path} was not served from the page cache (X-Page-Cache: {state!r})")
        target = docroot / path.lstrip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    return paths


def start_nginx(scratch: Path, docroot: Path) -> tuple[subprocess.Popen, str]:
    port = free_port()
    conf_dir = scratch / "nginx"
    conf_dir.mkdir()
    conf = NGINX_CONF.format(dir=conf_dir, host=HOST, port=port, docroot=docroot)
    (conf_dir / "nginx.conf").write_text(conf)
    # nginx's workers drop to an unprivileged user when started as root: let them read the docroot.
    scratch.chmod(0o711)
    docroot.chmod(0o755)
    command = ["nginx", "-p", str(conf_dir), "-e", str(conf_dir / "error.log")]
    process = start([*command, "-c", str(conf_dir / "nginx.conf")], scratch / "nginx.log")
    base = f"http://{HOST}:{port}"
    wait_for(f"{base}/", process)
    return process, base


def run_wrk(url: str, options: Options, duration: int) -> str:
    command = ["wrk", f"-t{options.threads}", f"-c{options.connections}", f"-d{duration}s", "--latency", url]
    result = subprocess.run(command, capture_output=True, text=True, timeout=duration + 60, check=True)
    return result.stdout


def load(server: Server, path: str, options: Options) -> Load:
    cpu_before = tree_cpu_seconds(server.processes)
    output = run_wrk(f"{server.base}{path}", options, options.duration)
    cpu = tree_cpu_seconds(server.processes) - cpu_before
    return parse_wrk(output, cpu)


def parse_wrk(output: str, cpu: float) -> Load:
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    total = re.search(r"(\d+) requests in", output)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)$", output, re.M)
    if rate is None or total is None or p99 is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: (.*)", output)
    errors = int(non_2xx.group(1)) if non_2xx else 0
    errors += sum(int(n) for n in re.findall(r"\d+", socket_errors.group(1))) if socket_errors else 0
    latency = float(p99.group(1)) * SECONDS_PER_UNIT[p99.group(2)]
    return Load(float(rate.group(1)), errors, latency, cpu / max(int(total.group(1)), 1))


def measure(servers: list[Server], paths: list[str], options: Options) -> dict[tuple[str, str], list[Load]]:
    results: dict[tuple[str, str], list[Load]] = {(p, s.name): [] for p in paths for s in servers}
    for path in paths:  # a short warm-up, so the first round does not pay for lazy start-up
        for server in servers:
            run_wrk(f"{server.base}{path}", options, duration=1)
    print(f"{'round':7} {'server':6} {'page':30} {HEADER}")
    for round_number in range(options.rounds):
        # Swapping the order every round spreads any drift of the machine over both servers.
        order = servers if round_number % 2 == 0 else servers[::-1]
        for path in paths:
            for server in order:
                result = load(server, path, options)
                results[path, server.name].append(result)
                print(f"{round_number + 1:<7} {server.name:6} {path:30} {row(result)}", flush=True)
    return results


def row(load: Load) -> str:
    return (
        f"{load.requests_per_second:8.0f} {load.p99_latency * 1e3:8.1f} "
        f"{load.cpu_per_request * 1e6:10.0f} {load.errors:6d}"
    )


def report(results: dict[tuple[str, str], list[Load]], paths: list[str], options: Options) -> bool:
    """Prints medians and ratios; True when every page meets the target without errors."""
    medians = {
        key: Load(
            statistics.median(r.requests_per_second for r in runs),
            sum(r.errors for r in runs),
            statistics.median(r.p99_latency for r in runs),
            statistics.median(r.cpu_per_request for r in runs),
        )
        for key, runs in results.items()
    }
    print(
        f"\ncache={options.cache} granian --workers {options.workers} --blocking-threads "
        f"{options.blocking_threads}; wrk -t{options.threads} -c{options.connections} "
        f"-d{options.duration}s; medians of {options.rounds} rounds"
    )
    print(f"{'page':30} {'server':6} {HEADER}")
    for (path, server), median in medians.items():
        print(f"{path:30} {server:6} {row(median)}")
    passed = not any(median.errors for median in medians.values())
    print()
    for path in paths:
        ratio = medians[path, "django"].requests_per_second / medians[path, "nginx"].requests_per_second
        passed = passed and ratio >= TARGET_RATIO
        verdict = "PASS" if ratio >= TARGET_RATIO else "FAIL"
        print(f"{path:30} django/nginx req/s {ratio:.3f} (target {TARGET_RATIO}) {verdict}")
    return passed


@contextmanager
def scratch_dir() -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="catalog-bench-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def main() -> int:
    options = parse_options()
    processes: list[subprocess.Popen] = []
    with scratch_dir() as scratch:
        try:
            cache_url = "locmem://" if options.cache == "locmem" else ""  # "" is the file cache
            if options.cache == "redis":
                redis, cache_url = start_redis(scratch)
                processes.append(redis)
            env = site_environment(scratch / "var", cache_url)
            prepare_site(env, scratch)
            granian, django_base = start_granian(env, options, scratch / "granian.log")
            processes.append(granian)
            docroot = scratch / "www"
            paths = snapshot_pages(django_base, docroot)
            nginx, nginx_base = start_nginx(scratch, docroot)
            processes.append(nginx)
            # The site's CPU includes its cache server: a page hit costs Redis work too.
            django = Server("django", django_base, tuple(p for p in processes if p is not nginx))
            results = measure([django, Server("nginx", nginx_base, (nginx,))], paths, options)
            for path in paths:  # the load must not have pushed pages out of the cache
                if fetch(f"{django_base}{path}")[0] != "hit":
                    raise RuntimeError(f"{path} is no longer a page-cache hit after the load")
            return 0 if report(results, paths, options) else 1
        finally:
            stop(processes)


if __name__ == "__main__":
    sys.exit(main())
