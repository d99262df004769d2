# nacc: `make run` and `make test` do all set-up on a fresh machine.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

# Python's bytecode caches stay on for everything make runs, whatever the shell says: the
# test suite starts hundreds of Python processes (`nacc` commands, servers, schedulers,
# two pytest workers), and with PYTHONDONTWRITEBYTECODE set (as in some containers) each
# compiled nacc, and each pytest worker rewrote every test module's asserts, from source
# (collecting the suite: 14 s of CPU per worker without the caches, 7 s with them).
unexport PYTHONDONTWRITEBYTECODE

.PHONY: install run demo test lint typecheck layers unit bench faults fuzz clean \
	slurm-install slurm-lab slurm-lab-down slurm-test screenshots leaderboard

$(STAMP): pyproject.toml
	@# the portal's browser tests use Debian's Chromium; CI runs as root and installs it
	command -v chromium >/dev/null || [ "$$(id -u)" != 0 ] || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null || \
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
		  apt-get install -y -q --no-install-recommends chromium >/dev/null; } || \
		echo "chromium not installed: the portal's browser tests will skip" >&2
	@# a Korean font, so Chromium draws the portal's Korean (screenshots)
	[ -d /usr/share/fonts/truetype/nanum ] || [ "$$(id -u)" != 0 ] || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends fonts-nanum >/dev/null || \
		echo "fonts-nanum not installed: Korean text in screenshots shows as boxes" >&2
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[dev]'
	touch $(STAMP)

# Jobs' walls in one small program (src/nacc/adapters/dispatch/wall, docs/dispatch.md); CI
# runs as root and installs a C compiler. Without one the shell chain walls jobs in.
WALL := $(BIN)/nacc-wall
WALL_C := src/nacc/adapters/dispatch/wall/nacc-wall.c
$(WALL): $(WALL_C) | $(STAMP)
	command -v cc >/dev/null || [ "$$(id -u)" != 0 ] || \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends gcc libc6-dev >/dev/null || \
		{ apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive \
		  apt-get install -y -q --no-install-recommends gcc libc6-dev >/dev/null; } || true
	@# static where libc's static library is there: no dynamic loading at each job's start
	{ cc -O2 -Wall -static -o $@.tmp $(WALL_C) 2>/dev/null || cc -O2 -Wall -o $@.tmp $(WALL_C); } && \
		mv -f $@.tmp $@ || \
		echo "nacc-wall not built (no C compiler): jobs are walled in by the shell chain" >&2

install: $(STAMP) $(WALL)

# The service on embedded SQLite (.nacc/nacc.db) with demo programs, people and tokens;
# delete .nacc to start over (tokens are printed only when the database is first seeded).
PORT ?= 8000
run: $(STAMP) $(WALL)
	NACC_HOME=$(CURDIR)/.nacc $(BIN)/nacc serve --demo --host 127.0.0.1 --port $(PORT)

# The simulation demo: a Philly slice on the Korea 2026 fleet under every policy.
demo: $(STAMP)
	$(BIN)/nacc demo --out out/demo

# Every portal page in Korean and English, as PNGs in docs/screenshots/ (docs/portal.md).
screenshots: $(STAMP)
	$(BIN)/python scripts/portal_screenshots.py docs/screenshots

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(STAMP)
	$(BIN)/mypy

layers: $(STAMP)
	$(BIN)/lint-imports

# The Slurm tests start a real Slurm (scripts/slurm-lab.sh, ~1 s per xdist worker); the one
# that waits for a Slurm time limit (60-90 s) and the one that builds Slurm's accounting
# database (marked slurm_slow) run in `make slurm-test`, not here.
unit: $(STAMP) $(WALL) slurm-install
	$(BIN)/pytest -n 2

# make test runs lint, typecheck and layers beside the tests, not before them: in a fresh
# clone mypy has no cache and takes 40-60 s of CPU, while the tests leave a core idle
# whenever a worker waits for a job, a server or a time limit. make test still fails if any
# of the four fails (make -j waits for the others, then exits non-zero); -Oline keeps each
# output line whole. `make lint typecheck layers unit` runs them one after another.
test: $(STAMP)
	@$(MAKE) --no-print-directory -j 4 -Oline lint typecheck layers unit

# api_submit.py prefers `hey` (a rate-limited Go load generator, Debian package) so the
# client does not take the CPU the server is measured on; it falls back to Python.
bench: $(STAMP) $(WALL)
	command -v hey >/dev/null || (apt-get install -y -q hey >/dev/null 2>&1) || true
	$(BIN)/python bench/run_all.py

# A real Slurm from Debian packages (root installs them; else the Slurm tests skip, saying why).
slurm-install:
	@bash scripts/slurm-lab.sh install || echo "slurm-lab: Slurm packages not installed; the Slurm tests will skip" >&2

# A lab to try nacc on: .slurm-lab, slurmrestd at slurm://127.0.0.1:26820 (ports 26817-26823).
slurm-lab: slurm-install
	bash scripts/slurm-lab.sh up .slurm-lab
	@bash scripts/slurm-lab.sh env .slurm-lab

slurm-lab-down:
	bash scripts/slurm-lab.sh down .slurm-lab

# Every Slurm test, the slow time-limit one included (about 100 s).
slurm-test: $(STAMP) slurm-install
	$(BIN)/pytest -n 2 -m "not faults" tests/integration/slurm tests/contract/test_dispatcher_contract.py
	$(BIN)/pytest -n 2 -m "not faults" tests/integration/api/test_api_slurm.py \
	  tests/integration/api/test_api_slurm_accounting.py tests/integration/api/test_api_slurm_crash.py \
	  tests/integration/api/test_api_slurm_failover.py tests/integration/api/test_api_slurm_demo.py \
	  tests/integration/api/test_api_slurm_limits.py

# The long fault test (issue 11; its short version runs in make test): 40 s of 50
# submissions/s to a real `nacc serve` on PostgreSQL (NACC_TEST_PG) with three SIGKILLs
# of the server and six rounds of killed database connections (docs/reliability.md).
faults: $(STAMP)
	$(BIN)/pytest -n 0 -m faults -s tests/integration/api/test_faults_pg.py tests/integration/api/test_crash_stops.py

# The challenge leaderboard run (issue 12): 20 teams x 5 entries evaluated by real
# processes on the local fleet, on SQLite and PostgreSQL (about 15 s each).
leaderboard: $(STAMP)
	$(BIN)/pytest -n 0 -m leaderboard tests/integration/api/test_api_challenge_board.py

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
