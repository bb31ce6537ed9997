# Two commands do everything on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/syndicate publish .

lint: $(STAMP)
	$(BIN)/ruff check syndicate tests benchmarks scripts
	$(BIN)/ruff format --check syndicate tests benchmarks scripts
	$(BIN)/mypy
	$(BIN)/mypy benchmarks scripts

test: lint
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(if $(BIG),--big,)

clean:
	rm -rf $(VENV) feeds digests outbox .syndicate build dist
