#!/usr/bin/env bash
# The one script run on a lent GPU machine (see docs/install.md): build the CUDA extension,
# run the CUDA tests and the whole suite against that machine's torch, run the GPU benchmarks.
# Writes logs under $OUT (or ./gpu-out).
set -uo pipefail
OUT=${OUT:-gpu-out}
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
{
  nvidia-smi -L
  python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.get_device_name())"
  time TRIPTYCH_CUDA=1 TORCH_CUDA_ARCH_LIST="9.0" MAX_JOBS=16 \
    python3 -m pip install -q --no-deps --no-build-isolation -e . || exit 1
  python3 -m triptych info
} 2>&1 | tee "$OUT/build.log"
python3 -m pytest -q -m cuda -p no:cacheprovider 2>&1 | tee "$OUT/pytest-cuda.log"
python3 -m pytest -q -x -p no:cacheprovider --timeout=300 -m "not cuda" tests 2>&1 | tail -40 | tee "$OUT/pytest-all.log"
python3 benchmarks/bench_gpu.py 2>&1 | tee "$OUT/bench-gpu.log"
cp benchmarks/results/bench_gpu.json "$OUT/" 2>/dev/null || true
