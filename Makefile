# nacc: `make run` and `make test` do all set-up on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run demo test lint typecheck layers unit bench fuzz clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The service on embedded SQLite (.nacc/nacc.db) with demo programs, people and tokens;
# delete .nacc to start over (tokens are printed only when the database is first seeded).
run: $(STAMP)
	NACC_HOME=$(CURDIR)/.nacc $(BIN)/nacc serve --demo --host 127.0.0.1 --port 8000

# The simulation demo: a Philly slice on the Korea 2026 fleet under every policy.
demo: $(STAMP)
	$(BIN)/nacc demo --out out/demo

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

unit: $(STAMP)
	$(BIN)/pytest -n 2

test: lint typecheck layers unit

# api_submit.py prefers `hey` (a rate-limited Go load generator, Debian package) so the
# client does not take the CPU the server is measured on; it falls back to Python.
bench: $(STAMP)
	command -v hey >/dev/null || (apt-get install -y -q hey >/dev/null 2>&1) || true
	$(BIN)/python bench/run_all.py

# The long fuzz (issue 11): schemathesis, every phase and check, every role, SQLite and
# PostgreSQL; FUZZ_EXAMPLES inputs per operation and phase. Tallies: out/fuzz.jsonl.
FUZZ_EXAMPLES ?= 10
FUZZ_SEED ?= 0
fuzz: $(STAMP)
	mkdir -p out && rm -f out/fuzz.jsonl
	NACC_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) NACC_FUZZ_SEED=$(FUZZ_SEED) \
		NACC_FUZZ_RECORD=$(CURDIR)/out/fuzz.jsonl \
		$(BIN)/pytest -n 2 tests/fuzz -rA
	$(BIN)/python tests/fuzz/totals.py out/fuzz.jsonl

clean:
	rm -rf $(VENV) out .nacc .pytest_cache .mypy_cache .ruff_cache
