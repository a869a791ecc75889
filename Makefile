# Build the book and run the tests in a local virtual environment, `.venv`.
#   make book   execute every chapter and build the HTML book into _build/html
#   make test   run the unit tests, the notebooks and a full book build in short-run mode
#   make test-fast   run the library's unit tests only (tests/unit), a few minutes
#   make clean  remove build outputs (the virtual environment stays)

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: venv book test test-fast clean

venv: $(VENV)/.installed

# Reinstalls only when pyproject.toml changes; `make -B venv` forces it.
$(VENV)/.installed: pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --upgrade pip
	$(BIN)/python -m pip install -e ".[book,test]"
	touch $@

# --all re-reads every page, so a warning fails every build and not only the first one
# after a change; the execution cache keeps unchanged notebooks from running again.
book: venv
	$(BIN)/jupyter-book build . -W --keep-going --all

test: venv
	DCGAN_SHORT_RUN=1 $(BIN)/python -m pytest

# The unit tests are independent of each other, so they run in parallel, one process a core.
test-fast: venv
	DCGAN_SHORT_RUN=1 $(BIN)/python -m pytest tests/unit -n auto

clean:
	rm -rf _build .pytest_cache .ruff_cache
