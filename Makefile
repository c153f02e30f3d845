# Two commands: `make run` and `make test`. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# pytest processes (`make test TEST_WORKERS=1` runs it in one). The suite is
# mostly wxops started as processes, and its fault tests spend much of their
# time waiting (for a lease to pass, a worker to take over), so one more process
# than the build machine's 2 cores keeps them busy. The tests that start
# processes are collected first (tests/conftest.py RUN_ORDER) and handed out
# two at a time as processes come free (`--dist load --maxschedchunk 2`: a
# process never holds a queue of long tests the others could have run), so the
# run ends on short in-process tests rather than on one long fault test.
TEST_WORKERS ?= 3

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

# The suite starts wxops as a process hundreds of times; with PYTHONDONTWRITEBYTECODE
# set (as on the build machine) each would compile every module of wxops again,
# so they are compiled once here (a changed file is compiled again next time).
test: lint
	$(BIN)/python -m compileall -q -j 0 bot handlers workflow storage layout tests bench >/dev/null
	$(BIN)/python -m pytest -n $(TEST_WORKERS) --dist load --maxschedchunk 2

clean:
	rm -rf $(VENV) var .mypy_cache .ruff_cache .pytest_cache
