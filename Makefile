# The two commands of the README: `make run` and `make test`. uv is bootstrapped with pip when missing.
SHELL := /bin/bash
PYTHON ?= python3
UV := $(shell command -v uv 2>/dev/null || echo .tools/bin/uv)
RUN := $(UV) run --frozen
# `make run` serves on WINDSURF_PORT when it is set (the same variable `windsurf serve` reads), else 8000.
PORT ?= $(or $(WINDSURF_PORT),8000)

.PHONY: run test lint format bench bench-store bench-checkout messages vendor-htmx clean

$(UV):
	$(PYTHON) -m venv .tools
	.tools/bin/pip install --quiet uv

# Install only the platform (not Pulumi), migrate, seed the demo store and serve it.
run: export WINDSURF_PUBLIC_URL ?= http://127.0.0.1:$(PORT)
run: $(UV)
	$(UV) sync --frozen --no-default-groups
	$(UV) run --frozen --no-default-groups windsurf migrate
	$(UV) run --frozen --no-default-groups windsurf demo
	@echo
	@echo "  Stan Store Windsurf is starting at http://127.0.0.1:$(PORT)"
	@echo "    demo store    http://127.0.0.1:$(PORT)/@demo"
	@echo "    log in        http://127.0.0.1:$(PORT)/login   (demo@windsurf.et / demo-store-2026)"
	@echo "    sign up       http://127.0.0.1:$(PORT)/signup"
	@echo "    API schema    http://127.0.0.1:$(PORT)/schema"
	@echo
	WINDSURF_PORT=$(PORT) $(UV) run --frozen --no-default-groups windsurf serve

# Install everything (platform, test tools, Pulumi) into .venv and run the whole suite: four pytest-xdist
# workers (each with its own databases and Redis namespace; the browser tests share one worker and one server, the
# infra tests another: tests/scheduling.py). Two cores keep four busy, as tests also wait on PostgreSQL, servers,
# subprocesses and Chromium (513 s against 588 s with three). PYTEST_ARGS=-n0: one process.
PYTEST_ARGS ?= -n 4 --dist loadgroup
test: $(UV)
	$(UV) sync --frozen
	UV=$(UV) bash .ci/install-infra-tools.sh
	$(RUN) pytest $(PYTEST_ARGS)

lint: $(UV)
	$(UV) sync --frozen
	$(RUN) ruff check .
	$(RUN) ruff format --check .
	$(RUN) mypy

format: $(UV)
	$(RUN) ruff check --fix .
	$(RUN) ruff format .

# List every message the code uses that a catalog does not translate yet, as .po entries to fill in.
messages: $(UV)
	$(RUN) python -m storefront.messages

# htmx is vendored (no CDN): refetch it from the npm registry package when the version in storefront/__init__.py changes.
HTMX_VERSION := $(shell sed -n 's/^HTMX_VERSION = "\(.*\)"/\1/p' storefront/__init__.py)
vendor-htmx:
	cd $$(mktemp -d) && npm pack --silent htmx.org@$(HTMX_VERSION) && tar xzf htmx.org-$(HTMX_VERSION).tgz \
		&& cp package/dist/htmx.min.js $(CURDIR)/storefront/static/vendor/htmx-$(HTMX_VERSION).min.js

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache test-artifacts

# Benchmarks, not part of `make test`: the app as in production (PostgreSQL, Redis, granian) driven by wrk over
# loopback. Needs the local PostgreSQL and Redis and the Debian packages wrk and nginx. Numbers: bench/RESULTS.md.
bench: $(UV)
	$(UV) sync --frozen
	$(RUN) python -m bench.run login $(BENCH_ARGS)
	$(RUN) python -m bench.run uploads $(BENCH_ARGS)

# N buyers through checkout -> sandbox payment -> notification (duplicated) -> delivery, audited in the database.
# A short run by default; a longer one with `make bench-checkout CHECKOUT_ORDERS=2000 CHECKOUT_CONCURRENCY=64`.
CHECKOUT_ORDERS ?= 200
CHECKOUT_CONCURRENCY ?= 32
bench-checkout: $(UV)
	$(UV) sync --frozen
	$(RUN) python -m bench.checkout --orders $(CHECKOUT_ORDERS) --concurrency $(CHECKOUT_CONCURRENCY)

# The store page against nginx serving the same bytes; the last line is the one-line summary.
bench-store: $(UV)
	$(UV) sync --frozen
	$(RUN) python -m bench.run store $(BENCH_ARGS)
