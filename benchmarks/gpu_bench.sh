#!/usr/bin/env bash
# Runs bench_core on a lent GPU machine (see DESIGN.md, "GPU runs"): the image
# has jax (CUDA), numba, scipy and numpy but no PyTensor and no network, so the
# wheels are carried in wheels/ (made by `make gpu-wheels`).
set -euo pipefail
python3 -m pip install --quiet --no-index --no-deps wheels/*.whl
export PYTHONPATH="$PWD"
python3 -c "import jax, pytensor; print('jax', jax.__version__, jax.devices(), 'pytensor', pytensor.__version__)"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
out="${OUT:-out}"
mkdir -p "$out"
python3 benchmarks/bench_core.py --backends jax --batches 1 128 1024 --output "$out/RESULTS_gpu.md" "$@"
