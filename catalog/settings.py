"""One settings module, driven by environment variables, with safe defaults for development."""

import hashlib
import os
import sys
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("CATALOG_VAR_DIR", BASE_DIR / "var"))
PATTERNS_DIR = Path(os.environ.get("PATTERNS_DIR", BASE_DIR / "patterns"))
# Beside the patterns they use: a PATTERNS_DIR elsewhere (a test tree) brings no curated workshops along.
WORKSHOPS_DIR = Path(os.environ.get("WORKSHOPS_DIR", PATTERNS_DIR.parent / "workshops"))
VAR_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
SECRET_KEY = os.environ.get("SECRET_KEY", "")
if not SECRET_KEY:
    if not DEBUG:
        # A production site must not run on a key anybody can read in the repository.
        raise ImproperlyConfigured(
            "SECRET_KEY is required when DEBUG is off: set the SECRET_KEY environment variable "
            "to a long random string."
        )
    SECRET_KEY = "development-only-key-not-for-production"

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]" if DEBUG else "")
if not DEBUG and not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS is required when DEBUG is off.")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "catalog",
]

MIDDLEWARE = [
    # Outside the page cache: a cached API answer still becomes a 304 when the client has it.
    "catalog.api.headers.ApiHeadersMiddleware",
    "catalog.serving.page_cache.PageCacheMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "catalog.serving.security_headers.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

# Trainers' accounts (catalog/accounts/): any account may build its own workshops.
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "trainer:list"
LOGOUT_REDIRECT_URL = "workshops:list"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]

ROOT_URLCONF = "catalog.urls"
WSGI_APPLICATION = "catalog.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "catalog.verifications.setup_notice.setup_notice",
            ],
        },
    },
]

# SQLite under var/ by default; PostgreSQL (or anything dj-database-url knows) via DATABASE_URL.
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'catalog.sqlite3'}"),
        conn_max_age=int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while the worker writes; IMMEDIATE takes the write lock up
    # front so two writers wait for each other instead of failing with "database is locked".
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = False
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 20,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
    }
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-catalog.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Pages are cached whole (see catalog/serving/page_cache.py); the cache must be shared by the
# site and the worker so that a new verification or sync invalidates every process.
CACHE_URL = os.environ.get("CACHE_URL", "")
if CACHE_URL.startswith("redis://"):
    # Django's backend with one reused client: every page hit reads the cache (bench/pages.py).
    CACHES = {"default": {"BACKEND": "catalog.serving.redis_cache.RedisCache", "LOCATION": CACHE_URL}}
elif CACHE_URL == "locmem://":
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
            "LOCATION": str(VAR_DIR / "cache"),
            "OPTIONS": {"MAX_ENTRIES": 5000},
        }
    }
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "3600"))
# How stale the WSGI front's view of the generation may be: a bump reaches every site process
# within this many seconds (catalog/serving/page_cache.py). 0 reads it on every hit, which costs about
# three quarters of the cached pages' throughput (bench/README.md).
PAGE_CACHE_POLL_SECONDS = float(os.environ.get("PAGE_CACHE_POLL_SECONDS", "0.25"))

LANGUAGE_CODE = "en"
TIME_ZONE = "UTC"
USE_I18N = False
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(exist_ok=True)
WHITENOISE_USE_FINDERS = DEBUG

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
X_FRAME_OPTIONS = "DENY"

# Celery: Redis in production and in the suite; the embedded filesystem broker for `make run`.
REDIS_URL = os.environ.get("REDIS_URL", "")
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", REDIS_URL or "filesystem://")
if CELERY_BROKER_URL == "filesystem://":
    _broker_dir = VAR_DIR / "broker"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "queue"),
        "data_folder_out": str(_broker_dir / "queue"),
        "processed_folder": str(_broker_dir / "processed"),
        "control_folder": str(_broker_dir / "control"),
        "polling_interval": 0.1,  # the default second of latency per task is most of a small run
        "store_processed": False,
    }
    for _folder in ("queue", "processed", "control"):
        (_broker_dir / _folder).mkdir(parents=True, exist_ok=True)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"stdout": {"class": "logging.StreamHandler", "stream": sys.stdout, "formatter": "plain"}},
    "root": {"handlers": ["stdout"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

# Long verification tasks (see shared notes on sandbox and reliability): a message is
# acknowledged only when the task ends, one message at a time, limits above the runner's
# own deadlines, and a visibility timeout far above the hard limit so Redis does not
# hand a running task to a second worker.
VERIFY_SOFT_TIME_LIMIT = int(os.environ.get("VERIFY_SOFT_TIME_LIMIT", str(15 * 60)))
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True  # safe because the database caps attempts
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = VERIFY_SOFT_TIME_LIMIT
CELERY_TASK_TIME_LIMIT = int(VERIFY_SOFT_TIME_LIMIT * 1.2)
_VISIBILITY_TIMEOUT = 2 * 60 * 60
if CELERY_BROKER_URL.startswith("redis"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _VISIBILITY_TIMEOUT}
CELERY_VISIBILITY_TIMEOUT = _VISIBILITY_TIMEOUT
CELERY_WORKER_CANCEL_LONG_RUNNING_TASKS_ON_CONNECTION_LOSS = True
CELERY_WORKER_SOFT_SHUTDOWN_TIMEOUT = 30
CELERY_TASK_TRACK_STARTED = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_WORKER_MAX_TASKS_PER_CHILD = 50
# Submissions only ever reach the sandbox's worker (worker/sandbox_engine.py, SANDBOX_QUEUE).
CELERY_TASK_ROUTES = {
    "catalog.verify": {"queue": "verify"},
    "catalog.verify_submission": {"queue": "sandbox"},
}
# Start-up hooks (heartbeats, verifying what never was), and the tasks outside worker/tasks.py.
CELERY_IMPORTS = ("worker.lifecycle", "worker.kit_tasks", "worker.workshop_tasks", "worker.submission_tasks")
# Seconds between two passes of the workshops' re-verification (a day); an example is run cold at most once
# a calendar day however often it passes (catalog/workshops/reverify.py).
WORKSHOP_REVERIFY_INTERVAL = int(os.environ.get("WORKSHOP_REVERIFY_INTERVAL", str(24 * 60 * 60)))
if WORKSHOP_REVERIFY_INTERVAL <= 0:
    raise ImproperlyConfigured("WORKSHOP_REVERIFY_INTERVAL is a number of seconds, more than 0.")
CELERY_BEAT_SCHEDULE = {
    "reap-verifications": {
        "task": "catalog.reap",
        "schedule": float(os.environ.get("REAPER_INTERVAL", "60")),
    },
    # Verifications waiting out a fault that is not theirs are retried when their back-off ends.
    "wake-waiting-verifications": {
        "task": "catalog.wake_waiting",
        "schedule": float(os.environ.get("VERIFY_WAKE_INTERVAL", "10")),
    },
    # Submissions waiting for the sandbox are sent again; runs whose worker died are queued again.
    "wake-submission-runs": {
        "task": "catalog.wake_submission_runs",
        "schedule": float(os.environ.get("SUBMISSION_WAKE_INTERVAL", "30")),
    },
    # Readiness checks and their attendees' reports past READINESS_KEEP_DAYS are deleted.
    "expire-readiness-checks": {
        "task": "catalog.expire_readiness_checks",
        "schedule": float(os.environ.get("READINESS_EXPIRY_INTERVAL", "3600")),
    },
    # Workshops still to come: a cold run of each of their examples, at most once a day each.
    "reverify-workshops": {
        "task": "catalog.reverify_workshops",
        "schedule": float(WORKSHOP_REVERIFY_INTERVAL),
    },
}
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")

# A workshop's readiness check (its room and the attendees' reports) is deleted this many whole days
# after the workshop's date, or after the check was opened when the workshop has no date.
READINESS_KEEP_DAYS = int(os.environ.get("READINESS_KEEP_DAYS", "7"))
if READINESS_KEEP_DAYS < 0:
    raise ImproperlyConfigured("READINESS_KEEP_DAYS is a number of days, 0 or more.")

# The worker: whether curated examples that need host access (the Docker socket, host
# namespaces) may run at all, and extra labels put on everything it creates (the test
# suite uses them to find and remove what its run made).
VERIFY_ALLOW_HOST_ACCESS = env_bool("VERIFY_ALLOW_HOST_ACCESS", False)
# After its checks a verification analyses each image's layers and lints its Dockerfiles.
VERIFY_ANALYSE_LAYERS = env_bool("VERIFY_ANALYSE_LAYERS", True)
# A verification waits (unclaimed) while the engine's data folder has less free space than this.
VERIFY_MIN_FREE_MB = int(os.environ.get("VERIFY_MIN_FREE_MB", "2048"))
VERIFY_EXTRA_LABELS = dict(item.split("=", 1) for item in env_list("VERIFY_EXTRA_LABELS", "") if "=" in item)
VERIFY_ON_START = env_bool("VERIFY_ON_START", True)
# The engine untrusted submissions build and run on, never the main one: a second dockerd with gVisor
# and no network (.ci/sandbox-engine.sh; `make engine` and `make test` start it at this default).
SANDBOX_DOCKER_HOST = os.environ.get(
    "SANDBOX_DOCKER_HOST", f"unix://{BASE_DIR / 'var' / 'sandbox-engine' / 'docker.sock'}"
)
# Per account and per hour (a sliding hour): drafts started, and verifications asked for in the sandbox.
SUBMISSIONS_PER_HOUR = int(os.environ.get("SUBMISSIONS_PER_HOUR", "10"))
SUBMISSION_RUNS_PER_HOUR = int(os.environ.get("SUBMISSION_RUNS_PER_HOUR", "6"))
# Failed log-ins per account name and per client address in LOGIN_WINDOW_SECONDS before log-in waits.
LOGIN_FAILURES_ALLOWED = int(os.environ.get("LOGIN_FAILURES_ALLOWED", "5"))
LOGIN_WINDOW_SECONDS = int(os.environ.get("LOGIN_WINDOW_SECONDS", "900"))
# A sandbox run whose worker has not beaten for this long is taken as dead and queued again.
SUBMISSION_LEASE_SECONDS = int(os.environ.get("SUBMISSION_LEASE_SECONDS", "120"))
# Names this catalog on a shared engine: every object its worker makes carries it, and its
# reaper only ever looks at objects carrying it, so two catalogs (a site and a test run,
# say) never remove each other's work. By default it follows the database, whose
# verification ids the labels refer to.
_database = DATABASES["default"]
CATALOG_INSTANCE = (
    os.environ.get("CATALOG_INSTANCE")
    or hashlib.sha256(
        f"{_database.get('HOST', '')}:{_database.get('PORT', '')}/{_database['NAME']}".encode()
    ).hexdigest()[:12]
)
# How long a claimed verification stays owned without a heartbeat; heartbeats come 4 times as often.
VERIFY_LEASE_SECONDS = float(os.environ.get("VERIFY_LEASE_SECONDS", "60"))
# A verification that waits for the engine, a base image, disk space or a lost worker is
# retried after this many seconds, doubling at each wait in a row up to the cap.
VERIFY_RETRY_SECONDS = float(os.environ.get("VERIFY_RETRY_SECONDS", "15"))
VERIFY_RETRY_MAX_SECONDS = float(os.environ.get("VERIFY_RETRY_MAX_SECONDS", "600"))
# A queued verification whose wake-up message was lost (a broker restarted without persistence)
# is sent again by the reaper once it has been queued this long; a duplicate costs nothing.
VERIFY_STALE_QUEUED_SECONDS = float(os.environ.get("VERIFY_STALE_QUEUED_SECONDS", "120"))
