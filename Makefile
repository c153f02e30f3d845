# Two commands: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# pytest processes: the suite is mostly wxops started as processes, CPU-bound,
# so one per core (`make test TEST_WORKERS=1` runs it in one process). With
# xdist's default scheduling one process was left running slow tests long after
# the other had finished (pytest 390-447 s); with work stealing, about 240 s.
TEST_WORKERS ?= 2

.PHONY: run test lint setup clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/wxops run

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist worksteal

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
