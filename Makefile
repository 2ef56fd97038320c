# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export LEDE_DATABASE_URL ?= sqlite:///./var/lede.db

.PHONY: install tools run test lint bench clean

$(BIN)/lede: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/lede

install: $(BIN)/lede

# The client generators the contract tests run. openapi-python-client has a
# virtualenv of its own: it pins an older typer than Lede's CLI uses.
TOOLS := .tools
OPENAPI_PYTHON_CLIENT := openapi-python-client==0.29.1

$(TOOLS)/bin/openapi-python-client:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/pip install --quiet '$(OPENAPI_PYTHON_CLIENT)'

tests/clients/node_modules: tests/clients/package.json tests/clients/package-lock.json
	cd tests/clients && npm ci --no-audit --no-fund --silent
	touch $@

tools: $(TOOLS)/bin/openapi-python-client tests/clients/node_modules

## Install, migrate SQLite, load the demo story, serve on http://127.0.0.1:8000
run: install
	$(BIN)/lede migrate
	$(BIN)/lede demo
	$(BIN)/lede serve --host 127.0.0.1 --port 8000

## Install and run the whole suite (lint, types, tests on SQLite and PostgreSQL)
test: install tools
	$(BIN)/ruff check app tests bench migrations/env.py
	$(BIN)/ruff format --check app tests bench migrations/env.py
	$(BIN)/mypy
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check app tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) $(TOOLS) tests/clients/node_modules var .mypy_cache .pytest_cache .ruff_cache
