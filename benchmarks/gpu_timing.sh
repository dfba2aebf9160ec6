#!/usr/bin/env bash
# The timing table and the scaling curves on a lent GPU machine (see DESIGN.md, "GPU runs"):
# PyTensor and its small dependencies come from wheels/ (`make gpu-wheels`).  Each script is
# interrupted (SIGINT) at its time limit and then writes the rows it has.
set -uo pipefail
python3 -m pip install --quiet --no-index --no-deps wheels/*.whl || exit 1
export PYTHONPATH="$PWD" PYTHONUNBUFFERED=1
python3 -c "import jax, pytensor; print('jax', jax.__version__, jax.devices(), 'pytensor', pytensor.__version__)"
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv || true
out="${OUT:-out}"
mkdir -p "$out"
cp benchmarks/RESULTS.md "$out/RESULTS_gpu.md"
timeout -s INT "${TABLE_SECONDS:-330}" python3 benchmarks/timing_table.py --backends jax --batches 1 128 \
  --steps "${GPU_STEPS:-100}" --output "$out/RESULTS_gpu.md" --section timing_table_gpu \
  --plot "$out/timing_table_gpu.png" --json "$out/timing_table_gpu.json" 2>&1 | grep -v -i "warn\|astype"
timeout -s INT "${SCALING_SECONDS:-200}" python3 benchmarks/scaling.py --output "$out/RESULTS_gpu.md" \
  --section scaling_gpu --plot "$out/scaling_gpu.png" --json "$out/scaling_gpu.json" 2>&1 | grep -v -i "warn\|astype"
