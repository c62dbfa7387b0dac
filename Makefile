# Two set-up commands (see README): `make run` and `make test`. Both create .venv and
# install rectrack into it first; nothing else needs to be on the machine but Python.
VENV   ?= .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: install browser run test test-fast lint bench bench-store bench-projections bench-workflows bench-api bench-audit bench-stats bench-import

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

run: install
	$(VENV)/bin/rectrack up --demo

# The browser tests drive Debian's Chromium (a test tool's own browser download is not
# available everywhere): install it when it is missing and this user may.
browser:
	@command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's chromium for the browser tests ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	else \
		echo "no chromium: the browser tests will be skipped (set RECTRACK_CHROMIUM to a browser)"; \
	fi

test: install browser
	$(PY) -m pytest -q -p no:cacheprovider $(PYTEST_ARGS)

# The domain and application rules on the in-memory store: seconds, no database.
test-fast: install
	$(PY) -m pytest -q -p no:cacheprovider tests/fast $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

bench: bench-store bench-projections bench-workflows bench-api bench-audit bench-stats bench-import

bench-store: install
	$(PY) -m benchmarks.bench_store

bench-projections: install
	$(PY) -m benchmarks.bench_projections

bench-workflows: install
	$(PY) -m benchmarks.bench_workflows

bench-api: install
	$(PY) -m benchmarks.bench_api

bench-audit: install
	$(PY) -m benchmarks.bench_audit

# tests/deploy renders deploy/k8s with `kubectl kustomize`: install Debian's kubectl when it
# is missing and this user may (the test says why it skips otherwise).
.PHONY: kubectl
kubectl:
	@command -v kubectl >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's kubectl (kubernetes-client) for the deploy tests ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq kubernetes-client >/dev/null; \
	else \
		echo "no kubectl: the Kubernetes manifest tests will be skipped"; \
	fi

test: kubectl

.PHONY: fault-run
fault-run: install
	$(PY) -m benchmarks.fault_run
bench-stats: install
	$(PY) -m benchmarks.bench_stats

# The spreadsheet import end to end (40,000 and 100,000 rows), against the floor.
bench-import: install
	$(PY) -m benchmarks.bench_import $(BENCH_ARGS)
