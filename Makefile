# Two set-up commands (see README): `make run` and `make test`. Both create .venv and
# install rectrack into it first; nothing else needs to be on the machine but Python.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install run test lint bench bench-store bench-projections bench-workflows bench-api

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

run: install
	$(VENV)/bin/rectrack up --demo

test: install
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: bench-store bench-projections bench-workflows bench-api

bench-store: install
	$(PY) -m benchmarks.bench_store

bench-projections: install
	$(PY) -m benchmarks.bench_projections

bench-workflows: install
	$(PY) -m benchmarks.bench_workflows

bench-api: install
	$(PY) -m benchmarks.bench_api
