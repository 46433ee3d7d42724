# Two commands on a fresh machine: `make serve` and `make test` (see README).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: serve test lint emulator clean

$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@

## serve: the app on http://localhost:8000 with `chalice local`, fed by the emulator
serve: $(STAMP)
	scripts/serve

## test: lint, then the whole test suite
test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

## emulator: only the ThingSpeak emulator, on http://127.0.0.1:8001
emulator: $(STAMP)
	$(BIN)/python -m emulator --port 8001

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build artifacts .chalice/deployments
