"""The load benchmark's production set-up: Redis databases, a PostgreSQL database, environment, clean-up."""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import docker
import psycopg
import redis
from pages import HOST, site_environment
from psycopg import sql
from verify_engine import LABEL, remove_everything

from worker.engine.client import connect, label_filters
from worker.images.builder import remove_images

REDIS_PORT = 6390
POSTGRES = f"postgres://catalog:catalog@{HOST}:5432"
# Marks a Redis database as this run's: taken only when empty, flushed at the end only if still ours.
CLAIM_KEY = "catalog.bench.load"


def require_tools() -> None:
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is missing: apt-get install -y wrk")


def claim_redis_databases(count: int, run_id: str) -> list[int]:
    """`count` empty databases of the shared Redis (the suite uses 0), each marked with the run id."""
    claimed: list[int] = []
    for number in range(1, 16):
        with redis.Redis(host=HOST, port=REDIS_PORT, db=number) as client:
            if client.dbsize() == 0 and client.set(CLAIM_KEY, run_id, nx=True):
                claimed.append(number)
        if len(claimed) == count:
            return claimed
    release_redis_databases(claimed, run_id)
    raise RuntimeError(f"fewer than {count} empty Redis databases on {HOST}:{REDIS_PORT}")


def release_redis_databases(numbers: list[int], run_id: str) -> None:
    for number in numbers:
        with redis.Redis(host=HOST, port=REDIS_PORT, db=number) as client:
            if client.get(CLAIM_KEY) == run_id.encode():
                client.flushdb()


def redis_url(number: int) -> str:
    return f"redis://{HOST}:{REDIS_PORT}/{number}"


def create_database(name: str) -> str:
    """A fresh database owned by the catalog role (which has CREATEDB); returns its URL."""
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{POSTGRES}/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(f"{POSTGRES}/postgres", autocommit=True) as admin:
        # Ends the connections a killed process may have left open. Not WITH (FORCE): that refuses
        # when an autovacuum worker is in the database, which a plain DROP waits out by itself.
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = %s AND usename = current_user AND pid <> pg_backend_pid()",
            [name],
        )
        admin.execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))


def load_environment(
    var: Path, tree: Path, database_url: str, cache_url: str, broker_url: str, run_id: str
) -> dict[str, str]:
    """The site's, the worker's and `verify`'s environment: pages.py's, on PostgreSQL and Redis."""
    env = site_environment(var, cache_url)
    for name in ("CATALOG_INSTANCE", "CELERY_TASK_ALWAYS_EAGER", "VERIFY_ANALYSE_LAYERS"):
        env.pop(name, None)  # the instance follows the fresh database; the rest as in production
    return {
        **env,
        "DATABASE_URL": database_url,
        "CELERY_BROKER_URL": broker_url,
        "PATTERNS_DIR": str(tree),
        "VERIFY_ON_START": "false",
        "VERIFY_ALLOW_HOST_ACCESS": "true",
        "VERIFY_EXTRA_LABELS": f"{LABEL}={run_id}",
    }


def remove_docker_objects(run_id: str) -> list[str]:
    """Everything labelled with the run id; returns what could not be removed."""
    client = connect()
    try:
        # Its image pass removes in list order, which a parent refuses while its children exist:
        # worker.images.builder.remove_images then takes the images children first.
        with contextlib.suppress(docker.errors.APIError):
            remove_everything(client, run_id)
        remove_images(client, {LABEL: run_id})
        selector = label_filters({LABEL: run_id})
        left = [f"container {c.name}" for c in client.containers.list(all=True, filters=selector)]
        left += [f"network {n.name}" for n in client.networks.list(filters=selector)]
        left += [f"volume {v.name}" for v in client.volumes.list(filters=selector)]
        return left + [f"image {i.short_id}" for i in client.images.list(filters=selector)]
    finally:
        client.close()
