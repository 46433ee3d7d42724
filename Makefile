# Two commands on a fresh machine: `make serve` and `make test` (see README).
PYTHON ?= $(shell scripts/find-python)
VENV := .venv
BIN := $(VENV)/bin
# Two installs: what serving needs (requirements-serve.txt: the runtime and chalice), and on
# top of it the test and lint tools (requirements-dev.txt), which `make serve` never waits for.
SERVE_STAMP := $(VENV)/.serve-installed
STAMP := $(VENV)/.installed
PIP := $(BIN)/python -m pip install --quiet --disable-pip-version-check


.PHONY: serve test check lint bench emulator clean browser-tools templates alerts build lock

$(SERVE_STAMP): requirements.txt requirements-serve.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(PIP) -r requirements-serve.txt
	touch $@

$(STAMP): $(SERVE_STAMP) requirements-dev.txt
	$(PIP) -r requirements-dev.txt
	touch $@

## serve: the app on http://localhost:8000 on `chalice local`'s server, fed by the emulator;
## CONFIG=chalicelib/mine.toml (or GLANCE_CONFIG=...) serves that dashboards file instead
## of the stage's. The configuration is checked first; edits reload (scripts/devserver.py).
serve: $(SERVE_STAMP)
	scripts/serve $(CONFIG)

browser-tools:
	scripts/ensure-browser-tools

## test: lint (ruff, mypy --strict), then the whole test suite (installs Chromium and Lighthouse when missing)
test: $(STAMP) browser-tools
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

## check: lint, then the tests that take no seconds each (not browser, chalice local or
## package, moto's server, real timeouts): the quick loop while working, under 3 minutes
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest -m "not slow"

## bench: page size, Lighthouse scores, cache-hit and cold-start ratios, as a table
bench: $(STAMP) browser-tools
	$(BIN)/python scripts/bench.py

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

## templates: compile the Jinja2 templates ahead of time (after editing templates/*.html)
templates: $(STAMP)
	$(BIN)/python scripts/compile_templates.py

## build: byte code for the Lambda package, then `chalice deploy --stage $(STAGE)` ships it
STAGE ?= prod
build: $(STAMP)
	$(BIN)/python -m deploy.build --stage $(STAGE)

## lock: after editing a requirements*.in file, the .txt files it makes: exact versions
## with hashes (what every install uses, so no upstream release changes a fresh clone)
lock: $(STAMP)
	for name in requirements requirements-serve requirements-dev; do \
	  $(BIN)/uv pip compile --quiet --generate-hashes --universal --python-version 3.13 \
	    --custom-compile-command "make lock" $$name.in -o $$name.txt || exit 1; \
	done

## emulator: only the ThingSpeak emulator, on http://127.0.0.1:8001
emulator: $(SERVE_STAMP)
	$(BIN)/python -m emulator --port 8001

## alerts: with `make serve` running, check its dashboards' alerts every 15 s and print each
## one (a channel counts as quiet after 1 min here); ALERTS_DB=file shares state with serve
alerts: $(STAMP)
	$(BIN)/python -m deploy.alerts watch --stage local --every 15 --quiet-after 1

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build artifacts .chalice/deployments tools/lighthouse/node_modules
