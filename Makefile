# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000
# What each command needs installed: `make run` only what runs, `make test` the tools too.
RUNTIME := $(VENV)/.runtime-installed
DEV := $(VENV)/.dev-installed

.PHONY: install tools run test lint bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(RUNTIME): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(DEV): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $@ $(RUNTIME)

install: $(DEV)

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

## Install, migrate SQLite (./var/lede.db), load the demo story, serve on http://$(HOST):$(PORT)
run: $(RUNTIME)
	$(BIN)/lede migrate
	$(BIN)/lede demo
	$(BIN)/lede serve --host $(HOST) --port $(PORT)

## Install and run the whole suite (lint, types, import contracts, tests on SQLite and PostgreSQL)
test: $(DEV) tools
	$(BIN)/ruff check app tests bench migrations/env.py
	$(BIN)/ruff format --check app tests bench migrations/env.py
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -n auto

lint: $(DEV)
	$(BIN)/ruff check app tests bench
	$(BIN)/mypy
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) $(TOOLS) tests/clients/node_modules var .mypy_cache .pytest_cache .ruff_cache
