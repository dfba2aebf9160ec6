# symphys: `make demo` sets everything up and runs the ball experiment;
# `make test` runs the test suite, `make notebooks` executes the notebooks.  All create .venv on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Compiled-code caches kept inside the checkout (CI gets its own).
export PYTENSOR_FLAGS ?= base_compiledir=$(CURDIR)/.cache/pytensor
export SYMPHYS_JAX_CACHE ?= $(CURDIR)/.cache/jax
export SYMPHYS_CACHE_DIR ?= $(CURDIR)/.cache/functions
PYTEST := $(BIN)/python -m pytest

.PHONY: venv demo test notebooks test-slow test-all bench arm-train arm-eval arm-cmaes gpu-wheels lint clean

$(STAMP): setup.cfg setup.py
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

venv: $(STAMP)

demo: venv
	$(BIN)/symphys ball --out out/ball

test: venv
	$(PYTEST) -m "not slow" -n 2 --durations=15

# Execute every notebook (nbmake): a failing cell fails the target; CI runs it after `make test`.
notebooks: venv
	$(PYTEST) --nbmake notebooks -n 2 --nbmake-timeout=900 --durations=5

test-slow: venv
	$(PYTEST) -m slow

test-all: venv
	$(PYTEST) -n 2

bench: venv
	$(BIN)/python benchmarks/bench_core.py

# The arm's global reaching policy: train (about 45 min on 2 cores; writes
# models/checkpoints/arm_reach.npz), evaluate the shipped checkpoint on the
# 256 held-out targets, and the CMA-ES baseline on the same budget.
arm-train: venv
	$(BIN)/symphys arm train --out out/arm

arm-eval: venv
	$(BIN)/symphys arm eval --out out/arm

arm-cmaes: venv
	$(BIN)/symphys arm cmaes --out out/arm

# Wheels for the GPU machine (Python 3.12, no network, no PyTensor there).
gpu-wheels: venv
	$(BIN)/pip download --quiet --python-version 3.12 --only-binary=:all: --no-deps \
	  --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 --platform any -d wheels \
	  pytensor==$$($(BIN)/python -c "import pytensor; print(pytensor.__version__)") \
	  cons etuples filelock logical-unification miniKanren multipledispatch toolz setuptools cma tqdm

lint: venv
	$(BIN)/ruff check symphys models tests benchmarks

clean:
	rm -rf $(VENV) .cache out *.egg-info
