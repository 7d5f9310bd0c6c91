# Two commands matter: `make serve` and `make test`. Both install what they need first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: install serve test lint typecheck pytest schema bench clean

PLUGINS := $(wildcard plugins/*/pyproject.toml)

$(STAMP): pyproject.toml $(PLUGINS)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]" $(foreach p,$(PLUGINS),-e $(dir $(p)))
	@touch $(STAMP)

install: $(STAMP)

## Serve the API on the embedded SQLite file (./trustcenter.db) with demo data. Bytecode is
## cached (as an installed wheel's is): a start then reads it instead of compiling the sources.
serve: export PYTHONDONTWRITEBYTECODE =
serve: $(STAMP)
	$(BIN)/trustcenter serve --demo

## Lint, type-check and run the whole test suite (SQLite, and PostgreSQL when it answers):
## the three at once, each one's output kept together (docs/testing.md).
test: $(STAMP)
	@$(MAKE) --no-print-directory --jobs=3 --output-sync=target lint typecheck pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests plugins bench
	$(BIN)/ruff format --check src tests plugins bench
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

# One worker per core (pytest-xdist); the tests that share a served app, a browser or the
# OpenID provider stay together (tests/conftest.py). PYTEST_WORKERS=0 runs in one process.
# Bytecode is cached even where PYTHONDONTWRITEBYTECODE is set: otherwise every worker of every
# run compiles the sources and rewrites the test modules' asserts again (seconds each).
PYTEST_WORKERS ?= auto
pytest: export PYTHONDONTWRITEBYTECODE =
pytest: $(STAMP)
	$(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup

## Every benchmark at a quick size, then one table of ratios (docs/performance.md). Not a test:
## run it on a quiet machine.
bench: $(STAMP)
	$(BIN)/python bench/all.py

## Regenerate schema.graphql from the code.
schema: $(STAMP)
	$(BIN)/trustcenter export-schema --output schema.graphql

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
