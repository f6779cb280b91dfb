# The README's commands: `make run` serves the catalog, `make test` runs the whole suite.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
# Steps depend on each other's side effects (services before venv, venv before tests).
.NOTPARALLEL:
.DEFAULT_GOAL := run

PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PORT ?= 8000
# `make run` is the operator's own machine and the catalog's curated examples: the few that need
# the Docker socket or host namespaces run too (and say so on their pages). Override with false.
VERIFY_ALLOW_HOST_ACCESS ?= true

# What the suite talks to; .ci/services.sh makes these answer.
REDIS_URL := redis://127.0.0.1:6390/0
TEST_DATABASE_URL := postgres://catalog:catalog@127.0.0.1:5432/catalog
CHROMIUM_PATH := /usr/bin/chromium
# The suite keeps its SQLite files, cache and broker folders in var/test, away from `make run`'s.
TEST_ENV := REDIS_URL=$(REDIS_URL) TEST_DATABASE_URL=$(TEST_DATABASE_URL) \
	CHROMIUM_PATH=$(CHROMIUM_PATH) DEBUG=true CATALOG_VAR_DIR=$(CURDIR)/var/test

# CI has 90 minutes and we aim at 60: these bound each pytest run. Measured on an idle 2-core machine:
# 13.5 min on PostgreSQL; on SQLite 34 min, then over 40 once the accessibility audit, the keyboard
# tests and the API tests joined it (session 14; the run hit the old 40m bound in test_mutants). A test
# that hangs for 5 minutes gets its stack dumped so the log says where; the slowest tests are listed at
# the end of each pass, so the next trim starts from numbers.
SQLITE_SUITE_TIMEOUT ?= 48m
POSTGRES_SUITE_TIMEOUT ?= 16m
PYTEST := $(BIN)/python -m pytest -o faulthandler_timeout=300 --durations=25

.PHONY: run dev database engine test venv services bases lint clean

# The site (granian) and a worker on the embedded defaults. On a fresh machine it first
# installs and starts what verification needs (`make engine`); where it cannot (not root,
# not Debian) the site still serves and every page says what is missing and how to fix it.
run: venv database engine
	VERIFY_ALLOW_HOST_ACCESS=$(VERIFY_ALLOW_HOST_ACCESS) $(BIN)/python manage.py runsite --port $(PORT)

# The same with Django's development server (reloads nothing, shows tracebacks).
dev: venv database
	VERIFY_ALLOW_HOST_ACCESS=$(VERIFY_ALLOW_HOST_ACCESS) $(BIN)/python manage.py runsite --dev --port $(PORT)

database: venv
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py collectstatic --noinput --verbosity 0
	$(BIN)/python manage.py sync_patterns

# The Docker engine and the base images examples build FROM, for `make run`'s worker: docker.io
# and a background dockerd, the packages the offline stand-ins are made from, then the stand-ins
# themselves (about eight minutes the first time, seconds afterwards); last the sandboxed engine
# for submissions (.ci/sandbox-engine.sh) with those bases copied into it. It never fails `make run`:
# verifications wait, and are retried by themselves, until the engine and the bases are there.
engine: venv
	@PYTHON=$(PYTHON) .ci/services.sh docker compose bases
	@$(BIN)/python manage.py provision_bases \
		|| echo "warning: base images are not provisioned; examples wait until they are (make engine)" >&2
	@PYTHON=$(PYTHON) .ci/services.sh sandbox

# The offline base images: built once from Debian packages, reused afterwards; then copied into the
# sandboxed engine (which `services` started before they existed on a fresh machine).
bases: venv
	$(TEST_ENV) $(BIN)/python manage.py provision_bases
	@PYTHON=$(PYTHON) .ci/services.sh sandbox

venv: $(STAMP)

# Re-install only when pyproject.toml changed since the last install.
$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import ensurepip, venv' 2>/dev/null || PYTHON=$(PYTHON) .ci/services.sh python
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	@touch $@

services:
	@PYTHON=$(PYTHON) .ci/services.sh

lint: venv
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# pytest exits 5 when it collected nothing: say so loudly, it is a failure, not a pass.
# --foreground keeps pytest in the terminal's process group, so Ctrl-C still reaches it.
define run_pytest
(rc=0; $(TEST_ENV) $(1) timeout --foreground --kill-after=30s $(2) $(PYTEST) $(3) || rc=$$?; \
if [ $$rc = 5 ]; then echo "FAILED: pytest $(or $(3),(whole suite)) collected no tests" >&2; fi; \
if [ $$rc = 124 ]; then echo "FAILED: pytest $(or $(3),(whole suite)) ran over $(2)" >&2; fi; \
exit $$rc)
endef

# Both passes run even when the first fails, so one CI run reports every failure.
test: services venv bases
	$(BIN)/ruff check .
	@sqlite=0; postgres=0; \
	echo "== whole suite on SQLite"; \
	$(call run_pytest,,$(SQLITE_SUITE_TIMEOUT),) || sqlite=$$?; \
	echo "== database tests on PostgreSQL"; \
	$(call run_pytest,DATABASE_URL=$(TEST_DATABASE_URL),$(POSTGRES_SUITE_TIMEOUT),-m 'django_db and not catalog') \
		|| postgres=$$?; \
	echo "== SQLite pass: exit $$sqlite, PostgreSQL pass: exit $$postgres"; \
	[ $$sqlite = 0 ] && [ $$postgres = 0 ]

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info
	find . -name __pycache__ -type d -not -path './$(VENV)/*' -prune -exec rm -rf {} +
