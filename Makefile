# Two commands on a fresh machine: `make serve` and `make test` (see README).
PYTHON ?= $(shell scripts/find-python)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# What mypy --strict checks: everything that runs in Lambda or from the command line.
TYPED := app.py chalicelib deploy emulator


.PHONY: serve test check lint bench emulator clean browser-tools templates alerts

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## serve: the app on http://localhost:8000 with `chalice local`, fed by the emulator
serve: $(STAMP)
	scripts/serve

browser-tools:
	scripts/ensure-browser-tools

## test: lint (ruff, mypy --strict), then the whole test suite (installs Chromium and Lighthouse when missing)
test: $(STAMP) browser-tools
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict $(TYPED)
	$(BIN)/python -m pytest

## check: lint, then the tests that take no seconds each (not browser, chalice local or
## package, moto's server, real timeouts): the quick loop while working, under 3 minutes
check: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy --strict $(TYPED)
	$(BIN)/python -m pytest -m "not slow"

## bench: page size, Lighthouse scores, cache-hit and cold-start ratios, as a table
bench: $(STAMP) browser-tools
	$(BIN)/python scripts/bench.py

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy --strict $(TYPED)

## templates: compile the Jinja2 templates ahead of time (after editing templates/*.html)
templates: $(STAMP)
	$(BIN)/python scripts/compile_templates.py

## emulator: only the ThingSpeak emulator, on http://127.0.0.1:8001
emulator: $(STAMP)
	$(BIN)/python -m emulator --port 8001

## alerts: with `make serve` running, check its dashboards' alerts every 15 s and print each
## one (a channel counts as quiet after 1 min here); ALERTS_DB=file shares state with serve
alerts: $(STAMP)
	$(BIN)/python -m deploy.alerts watch --stage local --every 15 --quiet-after 1

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build artifacts .chalice/deployments tools/lighthouse/node_modules
