# Two commands set up a fresh machine: `make run` (the demo on http://127.0.0.1:8000) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: setup run test e2e bench lint messages clean

setup: $(STAMP)

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $(STAMP)

run: setup
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py seed_demo
	@echo "Starting the job worker, the attempt sweep and daphne on http://$(HOST):$(PORT)/ (Ctrl+C stops all)"
	@trap 'kill 0' INT TERM EXIT; \
	$(BIN)/python manage.py db_worker & \
	$(BIN)/python manage.py sweep_attempts --every 60 > /dev/null & \
	$(BIN)/python manage.py sweep_entries --every 300 > /dev/null & \
	$(BIN)/daphne -b $(HOST) -p $(PORT) contest_site.asgi:application

test: setup
	$(BIN)/pytest

e2e: setup
	$(BIN)/pytest tests/e2e -m e2e

bench: setup
	@for script in bench/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

lint: setup
	$(BIN)/ruff check .

# Translators' loop (needs gettext): refresh the catalog from the code, translate, compile.
# The compiled .mo files are committed, so `run` and `test` need no gettext.
messages: setup
	$(BIN)/python manage.py makemessages -l vi --ignore=.venv --ignore=var --ignore=locale_vendor
	$(BIN)/python manage.py compilemessages --ignore=.venv
