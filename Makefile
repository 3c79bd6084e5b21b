# SmilePay: `make run` serves the product on the embedded default, `make test` runs the fast
# tier of the suite (no services needed), `make test-all` everything (what CI runs).
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# Links printed by the demo seed point at the port actually served.
export SITE_URL ?= http://$(HOST):$(PORT)

# The embedded demo (`make demo`, `make run`) mounts the demo shop, whose webhooks go to
# this very machine: both are explicit opt-ins that a production deployment leaves off.
demo run: export DEMO_SHOP ?= true
demo run: export WEBHOOK_ALLOW_PRIVATE_TARGETS ?= true

.PHONY: run test test-all worker beat lint format install install-dev migrate demo clean catalogs messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# One stamp per requirements state: editing a requirements file reinstalls.
$(VENV)/.installed: requirements.txt requirements-face.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -r requirements-face.txt
	touch $@

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

migrate: install
	$(BIN)/python manage.py migrate --noinput

demo: migrate
	$(BIN)/python manage.py seed_demo

run: demo catalogs
	$(BIN)/python manage.py collectstatic --noinput -v0
	$(BIN)/uvicorn smilepay.asgi:application --host $(HOST) --port $(PORT) --lifespan off --no-server-header --ws-max-size 1048576

worker: install
	@test -n "$$REDIS_URL" || { echo "make worker needs REDIS_URL (the embedded default runs tasks eagerly)"; exit 2; }
	$(BIN)/celery -A smilepay worker -Q default,recognition,webhooks -l info

beat: install
	@test -n "$$REDIS_URL" || { echo "make beat needs REDIS_URL"; exit 2; }
	$(BIN)/celery -A smilepay beat -l info

# The fast tier: the embedded default, no services, no browser, nothing that starts
# processes of its own. Run it often; `make test-all` before pushing.
FAST_TIER := not integration and not browser and not slow
test: install-dev catalogs
	$(BIN)/pytest -m "$(FAST_TIER)" --durations=20

# Everything: the fast tier plus PostgreSQL/Redis integration, the browser, the adversarial
# stack and `make run` (TEST_DATABASE_URL, TEST_REDIS_URL; .ci/run sets them up).
test-all: install-dev catalogs
	$(BIN)/pytest --durations=20

# The translations (docs/i18n.md): .po files are committed, the .mo files Django reads are
# compiled here, with GNU msgfmt when it is installed, else with babel (pure Python).
catalogs: install
	@command -v msgfmt >/dev/null || echo "msgfmt (GNU gettext) is not installed: compiling the translations with babel. apt-get install gettext to use msgfmt (and to run make messages)."
	$(BIN)/python manage.py catalogs compile --if-stale

# After marking new strings: collect them into locale/*.po, then translate them there.
messages: install
	$(BIN)/python manage.py catalogs update

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .ruff_cache
	find locale */locale -name '*.mo' -delete 2>/dev/null || true
