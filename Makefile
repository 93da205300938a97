# Two entry points for a fresh machine: `make book` and `make test`.
# Each creates .venv if it is missing and installs the pinned dependencies itself.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PROFILE ?= quick

.PHONY: book test notebooks lint clean browser

# pip --no-compile, then `kgfgnn precompile` byte-compiles what the study imports (a fraction
# of the 2 GB it installs) in one process. Anything else is compiled on first import, so the
# bytecode cache must be writable even where the shell sets PYTHONDONTWRITEBYTECODE.
unexport PYTHONDONTWRITEBYTECODE

$(VENV)/.installed: pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet --no-compile -e ".[dev]"
	$(PY) -m kgfgnn precompile
	touch $@

notebooks: $(VENV)/.installed
	$(PY) -m kgfgnn run-notebooks --profile $(PROFILE)

book: notebooks
	$(PY) -m kgfgnn build-book

# Debian's chromium for the browser test of the rendered book (root only; skipped otherwise).
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && \
	  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null); } || \
	  echo "chromium not installed: the browser test will be skipped"

test: $(VENV)/.installed browser
	$(PY) -m pytest

lint: $(VENV)/.installed
	$(PY) -m ruff check kgfgnn tests benchmarks

clean:
	rm -rf _build book/executed artefacts
