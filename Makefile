# OpenMarac: the two commands a newcomer needs are `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup lock

# `run` starts the background worker (emails, reminders, publication) beside the server;
# it stops with the server.
run: setup
	$(BIN)/openmarac migrate --noinput
	$(BIN)/openmarac demo
	$(BIN)/openmarac worker & worker=$$!; trap 'kill $$worker 2>/dev/null' EXIT INT TERM; \
		$(BIN)/openmarac runserver 127.0.0.1:8000

test: setup
	bash scripts/ensure-system-packages
	$(BIN)/python -m pytest $(PYTEST_ARGS)

setup: $(STAMP) build/static/openmarac/openmarac.css
	@mkdir -p var

$(STAMP): requirements.txt pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	$(BIN)/pip install --quiet --no-deps -e .
	touch $(STAMP)

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

build/static/openmarac/openmarac.css: node_modules/.package-lock.json assets/openmarac.scss
	npm run --silent build

# Re-pin after editing requirements.in.
lock:
	$(BIN)/pip install --quiet -r requirements.in
	(echo "# Generated from requirements.in by: make lock"; $(BIN)/pip freeze --exclude-editable) > requirements.txt
