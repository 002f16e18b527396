# Both targets work on a fresh clone with only Python and make: they create .venv themselves.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo test lint bench clean

$(BIN)/stacklens: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

demo: $(BIN)/stacklens
	$(BIN)/python examples/demo.py

test: $(BIN)/stacklens
	$(BIN)/python -m pytest

lint: $(BIN)/stacklens
	$(BIN)/ruff check src tests bench examples scripts
	$(BIN)/ruff format --check src tests bench examples scripts

bench: $(BIN)/stacklens
	$(BIN)/python bench/event_size.py
	$(BIN)/python bench/tools_list_size.py
	$(BIN)/python bench/cold_start.py
	$(BIN)/python bench/overhead.py
	$(BIN)/python bench/load.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info
