# One entry point for everything a developer does. Nothing needs to be installed beforehand
# beyond Python 3.11, Java 17 and Maven: the targets install the rest.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
INSTALLED := $(VENV)/.installed

.PHONY: setup run test soak lint format bench clean

$(INSTALLED): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --editable '.[dev]'
	touch $@

## setup: Python packages, the Kafka artifacts, PostgreSQL and kcat (installed only when missing)
setup: $(INSTALLED)
	$(PY) -m deploy.local install

## run: start broker, database and the four services with demo data; Ctrl-C stops everything
run: setup
	$(PY) -m deploy.local run

## test: the whole suite against real Kafka and PostgreSQL started by the suite itself
test: setup
	$(PY) -m deploy.local install --browser
	$(PY) -m pytest

## soak: the chaos test for SEEDS seeds (1..SEEDS) of MINUTES of load each; not part of `test`
SEEDS ?= 10
MINUTES ?= 1
soak: setup
	$(PY) -m tests.e2e.soak --seeds $(SEEDS) --minutes $(MINUTES)

## lint: formatting, lint rules and types
lint: $(INSTALLED)
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy shared services deploy
	$(VENV)/bin/lint-imports

## bench: every benchmark in bench/, each printing its tables (see bench/README.md)
bench: setup
	$(PY) -m bench.intake
	$(PY) -m bench.allocation
	$(PY) -m bench.journey
	$(PY) -m bench.bulk

format: $(INSTALLED)
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	for marker in .local/*/postgres/postgres-server-dir; do \
		if [ -f "$$marker" ]; then rm -rf "$$(cat "$$marker")"; fi; \
	done
	rm -rf .local test-output
