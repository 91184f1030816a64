# Two commands set up a fresh machine: `make run` (the demo on http://127.0.0.1:8000) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup lock check run test test-s3 e2e bench bench-prod lint messages clean test-faults serve-prod test-prod test-multihost backup restore screenshots

setup: $(STAMP)

# A development machine gets the runtime lock and the test tools (requirements-dev.txt includes the
# runtime one); production installs requirements.txt alone (docs/deployment.md). Both are hash-locked.
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

# After editing requirements.in or requirements-dev.in: re-lock both (the runtime first: dev is constrained by it).
PIP_COMPILE = $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe --strip-extras --no-emit-index-url --no-emit-find-links
lock: setup
	$(PIP_COMPILE) -o requirements.txt requirements.in
	$(PIP_COMPILE) -o requirements-dev.txt requirements-dev.in

run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo --rich
	@echo "Starting the job workers, the attempt sweep and daphne on http://$(HOST):$(PORT)/ (Ctrl+C stops all)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/python manage.py db_worker & \
	$(BIN)/python manage.py db_worker --queue-name attempts & \
	$(BIN)/python manage.py sweep_attempts --every 60 > /dev/null & \
	$(BIN)/python manage.py sweep_entries --every 300 > /dev/null & \
	$(BIN)/python manage.py notify_rounds --every 300 > /dev/null & \
	$(BIN)/python -m contest_site.serve -b $(HOST) -p $(PORT) contest_site.asgi:application

test: setup
	$(BIN)/pytest

# The media families again with media on S3-compatible object storage (a local moto server started by the
# test settings when MEDIA_STORAGE=s3 and no MEDIA_S3_ENDPOINT_URL is given): recordings, tus uploads, serving,
# question and forum images, banners, certificates; then a judge's browser playing and seeking a recording
# through the redirect to the bucket (CSP included).
S3_FAMILIES = submissions judging privacy live/tests/test_live.py quizzes/tests/test_contest_material.py quizzes/tests/test_organiser.py contests/tests/test_views.py \
	forums/tests/test_views.py tests/hostile/test_uploads.py leaderboard/tests/test_final.py leaderboard/tests/test_results.py
test-s3: setup
	MEDIA_STORAGE=s3 $(BIN)/pytest $(S3_FAMILIES) -m "not e2e"
	MEDIA_STORAGE=s3 $(BIN)/pytest tests/e2e/test_judging.py -m e2e

e2e: setup
	$(BIN)/pytest tests/e2e -m e2e

bench: setup
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

# The same benchmarks in the production shape: PostgreSQL + Redis (the machine's services) and two daphne
# processes where a benchmark starts servers (quiz_submit, live_round); pages and leaderboard run in-process.
bench-prod: setup
	DATABASE_URL=$${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/postgres} \
	REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0} BENCH_SERVERS=2 $(MAKE) bench

lint: setup
	$(BIN)/ruff check .

# What CI checks before the tests (.ci/run) and the pre-commit hooks run locally: lint, migrations in step
# with the models, types (mypy + django-stubs; strict modules and the baseline in pyproject.toml).
check: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/mypy .

# Translators' loop (needs gettext): refresh the catalog from the code, translate, compile.
# The compiled .mo files are committed, so `run` and `test` need no gettext.
messages: setup
	$(BIN)/python manage.py makemessages -l vi --ignore=.venv --ignore=var --ignore=locale_vendor
	$(BIN)/python manage.py compilemessages --ignore=.venv

# Faults survived (tests/faults): daphne, the job worker and a private redis-server killed and restarted
# mid-work. On the embedded default (SQLite), or on PostgreSQL + Redis with DATABASE_URL=… REDIS_URL=… set.
test-faults: setup
	$(BIN)/pytest tests/faults -m faults -v

# The production topology on this machine (docs/deployment.md): nginx with TLS on https://127.0.0.1:8080
# (PORT=…), DAPHNES=2 daphne processes, the job worker and sweeps, PostgreSQL database contest_prod and
# Redis; SEED=1 loads the demo data. Installs nginx when missing (as root). Ctrl+C stops everything.
# PORT when given (make's own default, 8000, belongs to `make run`), else 8080.
PROD_PORT = $(if $(filter command line environment,$(origin PORT)),$(PORT),8080)
# MEDIA=s3: media on a local S3 endpoint (moto) instead of MEDIA_ROOT, as the multi-host shape has them.
serve-prod: setup
	PORT=$(PROD_PORT) MEDIA=$(MEDIA) scripts/serve-prod

# End-to-end checks against that topology (tests/prod): it starts it on free ports and a fresh database.
test-prod: setup
	$(BIN)/pytest tests/prod -m prod -v

# Two "hosts" on this machine (two daphne groups, no shared disk), one worker, PostgreSQL, Redis and a local
# S3 endpoint: upload on one, play back with seeking on the other, a live game across both (tests/multihost).
test-multihost: setup
	$(BIN)/pytest tests/multihost -m multihost -v

# Database dump + media archive into $(BACKUP_DIR)/<timestamp>/; restore one into the database of
# DATABASE_URL (or SQLITE_PATH) and MEDIA_ROOT, both fresh: make restore RESTORE_FROM=var/backups/…
BACKUP_DIR ?= var/backups
backup: setup
	$(BIN)/python manage.py backup --to $(BACKUP_DIR)

restore: setup
	@test -n "$(RESTORE_FROM)" || { echo "usage: make restore RESTORE_FROM=var/backups/<timestamp>"; exit 2; }
	$(BIN)/python manage.py restore $(RESTORE_FROM)

# The accessibility tests (axe-core, every main journey at phone and desktop width), writing each page to
# docs/screenshots/<journey>-<phone|desktop>.png as they go.
screenshots: setup
	SCREENSHOTS=1 $(BIN)/pytest tests/e2e/test_accessibility.py -m e2e -q
