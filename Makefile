# Two commands do everything on a fresh clone: `make demo` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench messages clean

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

# The tests' Node.js packages (tests/package.json: mailauth, a second DKIM verifier),
# where npm is; without it those tests skip (never in CI, whose .ci/run installs npm).
NODE_STAMP := tests/node_modules/.installed

$(NODE_STAMP): tests/package.json tests/package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		cd tests && npm ci --no-audit --no-fund --silent && touch node_modules/.installed; \
	else echo "no npm here: the tests that run Node.js skip"; fi

test: lint $(NODE_STAMP)
	$(BIN)/pytest

# The catalogue: extract every reader-facing string of templates/ and syndicate/ into
# locale/syndicate.pot, then merge it into each language's .po (translators fill the new
# entries; the build compiles them into the wheel).
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k translated:2 --project syndicate --no-wrap \
		--sort-by-file --omit-header -o locale/syndicate.pot .
	@test "$$(grep -c '^msgid' locale/syndicate.pot)" -gt 20 || \
		{ echo "locale/syndicate.pot holds almost nothing: not merging it"; exit 1; }
	$(BIN)/pybabel update -i locale/syndicate.pot -d locale -D syndicate --no-wrap

bench: $(STAMP)
	$(BIN)/python -m benchmarks $(if $(BIG),--big,)

clean:
	rm -rf $(VENV) feeds digests outbox .syndicate build dist tests/node_modules
