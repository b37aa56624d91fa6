# Two entry points for a fresh machine with Python 3.11+ and make: `make demo` and `make test`.
# Each creates .venv if absent and installs what it needs; installs are pinned by constraints.txt.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEVSTAMP := $(VENV)/.installed-dev

.PHONY: demo test lint typecheck pytest bench faults vcsim test-tools install install-dev clean constraints

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e .
	touch $@

$(DEVSTAMP): pyproject.toml constraints.txt | $(BIN)/python
	$(BIN)/pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@ $(STAMP)

install: $(STAMP)
install-dev: $(DEVSTAMP)

demo: $(STAMP)
	$(BIN)/asr-console demo $(ARGS)

# govmomi's vCenter simulator, built offline from Debian's packages (installs them if missing).
vcsim:
	@if [ -x scripts/build-vcsim.sh ]; then scripts/build-vcsim.sh; else echo "vcsim: no build script in this version"; fi

lint: $(DEVSTAMP)
	$(BIN)/ruff check asr_console tests bench
	$(BIN)/ruff format --check asr_console tests bench
	$(BIN)/lint-imports

typecheck: $(DEVSTAMP)
	$(BIN)/mypy

# tmux, for the test of the real binary in a real terminal
test-tools:
	scripts/install-test-tools.sh

pytest: $(DEVSTAMP) vcsim test-tools
	$(BIN)/pytest -q $(PYTEST_ARGS)

test: lint typecheck pytest

bench: $(DEVSTAMP) vcsim
	@set -e; for b in $(filter-out bench/faults.py,$(wildcard bench/*.py)); do echo "== $$b"; $(BIN)/python $$b; done

# The fault suite's full profile: each fault's measured recovery as a table (make test runs the short one).
faults: $(DEVSTAMP) vcsim
	$(BIN)/python bench/faults.py $(ARGS)

constraints:
	$(BIN)/pip freeze --exclude-editable > constraints.txt

clean:
	rm -rf $(VENV) .build .mypy_cache .ruff_cache .pytest_cache
