"""Settings come from the environment, with a loud failure when production lacks a secret."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load_settings(tmp_path, **env) -> subprocess.CompletedProcess:
    script = (
        "import django; django.setup(); from django.conf import settings as s; "
        "print(s.DEBUG, s.DATABASES['default']['ENGINE'], ','.join(s.ALLOWED_HOSTS))"
    )
    environment = {
        "PATH": os.environ["PATH"],
        "DJANGO_SETTINGS_MODULE": "catalog.settings",
        "CATALOG_VAR_DIR": str(tmp_path),
        **env,
    }
    return subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_production_without_secret_key_fails_with_a_clear_message(tmp_path):
    result = load_settings(tmp_path, DEBUG="false", ALLOWED_HOSTS="catalog.example")
    assert result.returncode != 0
    assert "SECRET_KEY is required when DEBUG is off" in result.stderr


def test_production_needs_allowed_hosts(tmp_path):
    result = load_settings(tmp_path, DEBUG="0", SECRET_KEY="x" * 50)
    assert result.returncode != 0
    assert "ALLOWED_HOSTS is required" in result.stderr


def test_defaults_are_development_on_sqlite_under_var(tmp_path):
    result = load_settings(tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["True", "django.db.backends.sqlite3", "127.0.0.1,localhost,[::1]"]


def test_database_url_selects_postgresql(tmp_path):
    result = load_settings(
        tmp_path,
        DEBUG="0",
        SECRET_KEY="x" * 50,
        ALLOWED_HOSTS="a.example",
        DATABASE_URL="postgres://u:p@h/db",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["False", "django.db.backends.postgresql", "a.example"]
