# The two commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export LEDE_DATABASE_URL ?= sqlite:///./var/lede.db

.PHONY: install run test lint bench clean

$(BIN)/lede: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(BIN)/lede

install: $(BIN)/lede

## Install, migrate SQLite, load the demo story, serve on http://127.0.0.1:8000
run: install
	$(BIN)/lede migrate
	$(BIN)/lede demo
	$(BIN)/lede serve --host 127.0.0.1 --port 8000

## Install and run the whole suite (lint, types, tests on SQLite and PostgreSQL)
test: install
	$(BIN)/ruff check app tests bench migrations/env.py
	$(BIN)/ruff format --check app tests bench migrations/env.py
	$(BIN)/mypy
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check app tests bench
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var .mypy_cache .pytest_cache .ruff_cache
