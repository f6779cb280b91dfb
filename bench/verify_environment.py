"""The throwaway catalog the worker side runs in: its environment, manage.py and its database."""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
import subprocess
import sys
from pathlib import Path

from verify_engine import LABEL

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def bench_env(var: Path, tree: Path, run_id: str) -> dict[str, str]:
    """The embedded defaults (SQLite, filesystem broker, file cache) in a throwaway folder."""
    inherited = {
        k: v for k, v in os.environ.items() if k not in ("CELERY_BROKER_URL", "REDIS_URL", "CACHE_URL")
    }
    return {
        **inherited,
        "CATALOG_VAR_DIR": str(var),
        "DATABASE_URL": f"sqlite:///{var / 'catalog.sqlite3'}",
        "PATTERNS_DIR": str(tree),
        # As in production: DEBUG keeps every SQL query in memory.
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1",
        "LOG_LEVEL": "INFO",
        "VERIFY_ON_START": "false",
        # The loop only builds and runs: the layer analysis is measured on its own (bench/layers.py).
        "VERIFY_ANALYSE_LAYERS": "false",
        "VERIFY_EXTRA_LABELS": f"{LABEL}={run_id}",
    }


def manage(env: dict[str, str], *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    command = [PYTHON, str(ROOT / "manage.py"), *args]
    return subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def checked(result: subprocess.CompletedProcess[str]) -> str:
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(result.args[1:])} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def offset_verification_ids(database: Path) -> None:
    """Start this catalog's verification ids far from other catalogs' on the same engine.

    The worker tags images catalog-verify/<verification>-<attempt>:<image>; a fresh database
    counting from 1 would take those tags from the images another catalog (`make run`) keeps.
    """
    with contextlib.closing(sqlite3.connect(database)) as db, db:
        db.execute("DELETE FROM sqlite_sequence WHERE name = 'catalog_verification'")
        start = 10**8 + secrets.randbelow(9 * 10**8)
        db.execute("INSERT INTO sqlite_sequence (name, seq) VALUES ('catalog_verification', ?)", (start,))
