# Two set-up commands (see README): `make run` and `make test`. Both create .venv and
# install rectrack into it first; nothing else needs to be on the machine but Python.
VENV   ?= .venv
PY     := $(VENV)/bin/python
# The installed set is exactly the lock file's (hashes checked): a new lock, or a new
# pyproject.toml, makes a new stamp and so a new install.
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml requirements-dev.lock | cksum | cut -d' ' -f1)
# Python the locks are resolved for: the image's (deploy/Dockerfile) and CI's.
LOCK_PYTHON := 3.11

.PHONY: install browser wrk run test test-fast lint deps-upgrade bench bench-store bench-projections bench-workflows bench-api bench-audit bench-stats bench-startup bench-auth bench-export bench-mail bench-import

$(STAMP): pyproject.toml requirements-dev.lock
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(PY) -m pip install --quiet --no-deps -e .
	rm -f $(VENV)/.installed-*
	touch $@

install: $(STAMP)

# Resolve every dependency of pyproject.toml afresh, to the newest versions it allows,
# with the hashes of every file PyPI has for them; then install the result. The runtime
# lock is resolved within the dev lock, so both pin the same versions. Review the diff.
deps-upgrade:
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --upgrade --generate-hashes \
		--python-version $(LOCK_PYTHON) --custom-compile-command "make deps-upgrade" \
		--quiet -o requirements-dev.lock
	$(VENV)/bin/uv pip compile pyproject.toml --generate-hashes -c requirements-dev.lock \
		--python-version $(LOCK_PYTHON) --custom-compile-command "make deps-upgrade" \
		--quiet -o requirements.lock
	$(MAKE) install

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

bench: bench-store bench-projections bench-workflows bench-api bench-audit bench-stats bench-startup bench-auth bench-export bench-mail bench-import

bench-store: install
	$(PY) -m benchmarks.bench_store

bench-projections: install
	$(PY) -m benchmarks.bench_projections

bench-workflows: install
	$(PY) -m benchmarks.bench_workflows

# Debian's compiled load generator drives the API benchmark (a Python one takes a third
# of a 2-core machine).
wrk:
	@command -v wrk >/dev/null 2>&1 || \
	if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing Debian's wrk for the API benchmark ..."; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; \
	else \
		echo "no wrk: install it (apt-get install wrk) to run make bench-api"; exit 1; \
	fi

bench-api: install wrk
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
bench-startup: install
	$(PY) -m benchmarks.bench_startup
bench-stats: install
	$(PY) -m benchmarks.bench_stats

# Token look-ups from the cache and sprayed fakes vs. a store read; a recorded read vs. a
# bare append.
bench-auth: install
	$(PY) -m benchmarks.bench_auth
bench-export: install
	$(PY) -m benchmarks.bench_export
# E-mail exactly once against bare SMTP to the same in-process server.
bench-mail: install
	$(PY) -m benchmarks.bench_mail
# The spreadsheet import end to end (40,000 and 100,000 rows), against the floor.
bench-import: install
	$(PY) -m benchmarks.bench_import $(BENCH_ARGS)
