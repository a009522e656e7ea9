# LeadOps: `make run` starts everything, `make test` runs every test. Both set up on first use.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: run test lint format bench bench-smoke install migrate seed vendor clean e2e

$(STAMP): pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "LeadOps needs $(PYTHON) on PATH"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	@touch $(STAMP)

install: $(STAMP)

migrate: install
	@mkdir -p var
	$(BIN)/python manage.py migrate --noinput

seed: migrate
	$(BIN)/python manage.py seed_demo

# The app with SQLite (var/), embedded Redis and the provider sandbox, every Procfile process
# supervised (one that dies is restarted, the others keep running); Ctrl-C stops it all.
run: install
	@mkdir -p $${VAR_DIR:-var}
	@$(BIN)/python -m leadops.devserver preflight
	@$(BIN)/python manage.py migrate --noinput | grep -v "^  No migrations to apply" || true
	@$(BIN)/python manage.py seed_demo
	@echo "LeadOps: http://127.0.0.1:$${WEB_PORT:-8000}/  (Ctrl-C stops everything)"
	@exec $(BIN)/python -m leadops.devserver supervise Procfile

# The whole suite. DATABASE_URL / REDIS_URL select real servers; unset means SQLite + embedded Redis.
test: install
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest $(PYTEST_ARGS)

e2e: install
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(BIN)/pytest tests/e2e $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# Every benchmark on PostgreSQL (BENCH_PG_URL, default the local server; REDIS_URL or an
# embedded Redis): one JSON object per benchmark with its figures, targets and pass/fail.
bench: install
	$(BIN)/python -m bench

# The same at small sizes, about a minute: proves every benchmark still runs (CI runs it).
bench-smoke: install
	$(BIN)/python -m bench --smoke

# Refresh the vendored front-end files from the npm registry (versions in static/vendor/VERSIONS).
vendor:
	./bin/vendor-static

clean:
	rm -rf $(VENV) var test-artifacts staticfiles
