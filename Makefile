# symphys: `make demo` sets everything up and runs the ball experiment;
# `make test` runs the test suite, `make notebooks` executes the notebooks.  All create .venv on first use.
# Python >= 3.12 (PyTensor 3.3 and PyMC 6 need it): the first of python3.12, 3.13, 3.14 on PATH,
# then pyenv's installed versions (pyenv's shims refuse a version that is not selected), then python3
# if it is new enough.  `make PYTHON=/path/to/python3.12` overrides the search.
PYTHON_CANDIDATES := $(foreach v,3.12 3.13 3.14,$(shell command -v python$(v) 2>/dev/null) \
  $(wildcard $(HOME)/.pyenv/versions/$(v)*/bin/python$(v))) $(shell command -v python3 2>/dev/null)
ifndef PYTHON
PYTHON := $(firstword $(foreach p,$(PYTHON_CANDIDATES),$(shell $(p) -c 'import sys; print("$(p)" if sys.version_info >= (3, 12) else "")' 2>/dev/null)))
endif
# The Aesara lane stays on Python 3.11: Aesara needs Numba < 0.59, which has no wheels for 3.12.
ifndef AESARA_PYTHON
AESARA_PYTHON := $(firstword $(shell command -v python3.11 2>/dev/null) $(wildcard $(HOME)/.pyenv/versions/3.11*/bin/python3.11) python3)
endif
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
# Compiled-code caches kept inside the checkout (CI gets its own).
export PYTENSOR_FLAGS ?= base_compiledir=$(CURDIR)/.cache/pytensor
export SYMPHYS_JAX_CACHE ?= $(CURDIR)/.cache/jax
export SYMPHYS_CACHE_DIR ?= $(CURDIR)/.cache/functions
PYTEST := $(BIN)/python -m pytest
# The Aesara lane (SYMPHYS_GRAPH=aesara): its own venv and compile dir (Aesara needs numpy < 2,
# PyTensor numpy >= 2).  symphys comes from this checkout (--no-deps), its requirements from
# setup.cfg through .ci/aesara_requirements.py (install_requires without PyTensor and JAX, pins
# of the [aesara] extra).
AESARA_VENV := .venv-aesara
AESARA_BIN := $(AESARA_VENV)/bin
AESARA_STAMP := $(AESARA_VENV)/.installed-stamp
# Only the test files that mark tests `aesara` are imported (others need packages the lane lacks).
AESARA_TEST_FILES = $(shell grep -l "pytest.mark.aesara" tests/test_*.py)
export AESARA_FLAGS ?= base_compiledir=$(CURDIR)/.cache/aesara

.PHONY: venv venv-aesara test-aesara demo test notebooks test-slow fuzz test-all bench bench-core arm-train arm-eval arm-cmaes quadruped-train quadruped-eval view gpu-wheels lint clean

$(STAMP): setup.cfg setup.py
	@test -n "$(PYTHON)" || { echo "symphys needs Python >= 3.12 (PyTensor 3.3, PyMC 6); none was found on PATH or in ~/.pyenv/versions." >&2; \
	  echo "Install one (e.g. 'pyenv install 3.12' or your distribution's python3.12 package), or run make PYTHON=/path/to/python3.12." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev,pymc]"
	touch $(STAMP)

venv: $(STAMP)

$(AESARA_STAMP): setup.cfg setup.py .ci/aesara_requirements.py
	$(AESARA_PYTHON) -m venv $(AESARA_VENV)
	$(AESARA_BIN)/pip install --quiet --upgrade pip
	$(AESARA_BIN)/python .ci/aesara_requirements.py > $(AESARA_VENV)/requirements.txt
	$(AESARA_BIN)/pip install --quiet -r $(AESARA_VENV)/requirements.txt
	$(AESARA_BIN)/pip install --quiet --no-deps --ignore-requires-python -e .
	touch $(AESARA_STAMP)

venv-aesara: $(AESARA_STAMP)

demo: venv
	$(BIN)/symphys ball --out out/ball

test: venv
	$(PYTEST) -m "not slow" -n 2 --durations=15

# The tests marked `aesara` (physics, gradients against finite differences, the ball experiment
# against its PyTensor reference) under Aesara's C backend; tests of backends Aesara lacks skip
# and say why.  Cold C compilation under Aesara is slow (gcc builds ~640 modules).  One worker
# per file (--dist loadfile): a module's compiled fixtures are built once.  Each worker compiles into
# its own Aesara compile dir (tests/conftest.py): sharing one, Aesara's lock let gcc build one module at
# a time (cold: 18 min wall, 19 min of CPU on 2 cores; own dirs: 13.6 min wall, 21 min of CPU).  numpy < 2
# wheels carry no BLAS that Aesara can link: blas__ldflags= skips its search (and its warnings);
# it uses NumPy's C API either way.
test-aesara: venv-aesara
	SYMPHYS_GRAPH=aesara AESARA_FLAGS="$(AESARA_FLAGS),blas__ldflags=" \
	  $(AESARA_BIN)/python -m pytest -m "aesara and not slow" -n 2 --dist loadfile -rs --durations=20 \
	  $(AESARA_TEST_FILES)

# Execute every notebook (nbmake): a failing cell fails the target; CI runs it after `make test`.
notebooks: venv
	$(PYTEST) --nbmake notebooks -n 2 --nbmake-timeout=900 --durations=5

test-slow: venv
	$(PYTEST) -m slow

# The property-based tests (hypothesis) with 200 random examples each instead of make test's
# reproducible 10 per law, 3 random worlds (each a new graph: ~10 s) and 50 per bad-input test.
fuzz: venv
	SYMPHYS_PROPERTY_EXAMPLES=200 $(PYTEST) tests/test_properties.py tests/test_properties_worlds.py \
	  tests/test_bad_input_fuzz.py -n 2 --dist loadfile

test-all: venv
	$(PYTEST) -n 2

# The paper's timing table (Gauss-Seidel and Newton) beside MuJoCo, MJX and Brax in one run, and
# the scaling curves (~45 min on 2 cores; writes benchmarks/RESULTS.md and the plots).  Needs the
# [bench] extra.  Peers at batch 1 only; `--peer-batches 1 128` adds batch 128 (2026-12-07: MJX
# 3.9 s forward; Brax's batch-128 gradient asks for 86 GB and is reported as a failed row).
BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e ".[dev,bench]"
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(BIN)/python benchmarks/timing_table.py --methods gauss_seidel newton --peers --peer-batches 1 --short-steps 50
	$(BIN)/python benchmarks/scaling.py --methods jacobi newton

# The core engine's graph sizes, cold/warm compiles and run times on every backend (Numba's cold
# compile alone takes ~9 min).
bench-core: venv
	$(BIN)/python benchmarks/bench_core.py

# The arm's global reaching policy: train (about 45 min on 2 cores; writes
# symphys_models/checkpoints/arm_reach.npz), evaluate the shipped checkpoint on the
# 256 held-out targets, and the CMA-ES baseline on the same budget.
arm-train: venv
	$(BIN)/symphys arm train --out out/arm

arm-eval: venv
	$(BIN)/symphys arm eval --out out/arm

arm-cmaes: venv
	$(BIN)/symphys arm cmaes --out out/arm

# The quadruped's gait (issue 17, 20 N m servos): the paper's recipe (8 s rollouts, gradient decay 0.95,
# Adam 1e-3; ~14 s per evaluation on 2 busy cores), and the shipped checkpoint against the hand-tuned trot
# (writes out/quadruped/gait.gif and gait.html).
quadruped-train: venv
	$(BIN)/symphys quadruped train --out out/quadruped

quadruped-eval: venv
	$(BIN)/symphys quadruped eval --out out/quadruped

# The quadruped's hand-tuned trot as a self-contained HTML player and a GIF (out/view/).
view: venv
	$(BIN)/symphys view --model quadruped --seconds 4 --out out/view/quadruped.html --out out/view/quadruped.gif

# Wheels for the GPU machine (Python 3.12, no network, no PyTensor there).
gpu-wheels: venv
	$(BIN)/pip download --quiet --python-version 3.12 --only-binary=:all: --no-deps \
	  --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 --platform any -d wheels \
	  pytensor==$$($(BIN)/python -c "import pytensor; print(pytensor.__version__)") \
	  cons etuples filelock logical-unification miniKanren multipledispatch toolz setuptools cma tqdm

# Ten deliberate engine faults, one at a time in a scratch copy of the package; each must fail a
# test (writes the "Mutation check" section of benchmarks/RESULTS.md; exits 1 if one is not caught).
.PHONY: mutation
mutation: venv
	$(BIN)/python benchmarks/mutation.py

lint: venv
	$(BIN)/ruff check symphys symphys_models tests benchmarks

clean:
	rm -rf $(VENV) $(AESARA_VENV) .cache out *.egg-info
