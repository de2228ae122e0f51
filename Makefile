# The service's commands. `make run` serves on the embedded default; `make test` runs every test.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint worker serve-gunicorn sample-data postman schema-sql bench clean system-packages

# The development server, for a desk: one process, no request limits. `make serve-gunicorn`
# (and the container) serve with gunicorn and gunicorn.conf.py.
run: $(VENV)/.runtime
	@echo "make run: the development server, for a desk only; production serves with gunicorn (make serve-gunicorn, the container)"
	HOST=$(HOST) PORT=$(PORT) LOG_FORMAT=$${LOG_FORMAT:-text} $(BIN)/python main.py

test: $(VENV)/.dev node_modules/.installed system-packages
	REQUIRE_SERVICES=$${REQUIRE_SERVICES:-1} $(BIN)/python -m pytest --cov --cov-report=term:skip-covered $(PYTEST_ARGS)

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

worker: $(VENV)/.runtime
	LOG_FORMAT=$${LOG_FORMAT:-text} $(BIN)/celery -A main.celery_app worker --loglevel=INFO

serve-gunicorn: $(VENV)/.runtime
	HOST=$(HOST) PORT=$(PORT) $(BIN)/gunicorn --config gunicorn.conf.py "main:create_app()"

bench: $(VENV)/.dev
	$(BIN)/python -m pip install --quiet -r requirements-bench.txt
	$(BIN)/python -m bench $(BENCH_ARGS)

sample-data: $(VENV)/.runtime
	$(BIN)/python -m scripts.make_sample_data

postman: $(VENV)/.runtime
	$(BIN)/python -m scripts.make_postman_collection

schema-sql: $(VENV)/.runtime
	$(BIN)/python -m scripts.make_schema_sql

# unixODBC, which pyodbc (Azure SQL / SQL Server) loads, and Chromium, which the console's
# browser tests drive (tests/e2e/test_console_browser.py); installed with apt where we may.
system-packages:
	@ldconfig -p | grep -q 'libodbc.so.2' || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends unixodbc; \
	  else echo "unixODBC is missing (Debian: sudo apt-get install unixodbc); pyodbc needs it"; fi; }
	@command -v chromium >/dev/null || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium; \
	  else echo "Chromium is missing (Debian: sudo apt-get install chromium); the browser tests need it"; fi; }

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.runtime: requirements.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(VENV)/.runtime $@

node_modules/.installed: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf $(VENV) node_modules instance .pytest_cache .mypy_cache .ruff_cache .import_linter_cache .coverage .coverage.* htmlcov bench/data Documentation/sample_data/uploads
