"""Compile every ``core/csrc/**/*.cu`` with nvcc (``-c``, sm_90 + PTX) and fail on an error.

CI machines have nvcc but a CPU torch, so the CUDA kernels are not part of the extension
there; this keeps them compiling. Without nvcc it says so and succeeds.

    python tools/check_cuda.py [--jobs N]
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CSRC = ROOT / "core" / "csrc"
OUT = ROOT / "build" / "cuda-check"


def torch_target_version() -> str:
    """The stable-ABI target declared in setup.py (its one definition)."""
    match = re.search(r'^TORCH_TARGET_VERSION = "(0x[0-9a-f]+)"', (ROOT / "setup.py").read_text(), re.M)
    if match is None:
        raise SystemExit("check_cuda: TORCH_TARGET_VERSION not found in setup.py")
    return match.group(1)


def nvcc_command(nvcc: str, source: Path, include_dirs: list[str]) -> list[str]:
    obj = OUT / source.relative_to(CSRC).with_suffix(".o")
    obj.parent.mkdir(parents=True, exist_ok=True)
    return [
        nvcc, "-c", str(source), "-o", str(obj),
        "-std=c++17", "-O3", "--expt-relaxed-constexpr", "-Xcompiler", "-fPIC",
        "-gencode", "arch=compute_90,code=sm_90",
        "-gencode", "arch=compute_90,code=compute_90",
        "-DUSE_CUDA", "-DTRIPTYCH_WITH_CUDA=1", f"-DTORCH_TARGET_VERSION={torch_target_version()}",
        f"-I{CSRC}", *(f"-I{d}" for d in include_dirs),
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2)
    args = parser.parse_args()
    sources = sorted(CSRC.rglob("*.cu"))
    nvcc = shutil.which("nvcc") or ("/usr/local/cuda/bin/nvcc" if Path("/usr/local/cuda/bin/nvcc").exists() else None)
    if nvcc is None:
        print(f"check_cuda: nvcc not found; {len(sources)} CUDA file(s) not compiled")
        return 0
    from torch.utils.cpp_extension import include_paths

    includes = include_paths()
    with ThreadPoolExecutor(args.jobs) as pool:
        results = list(pool.map(lambda s: (s, subprocess.run(nvcc_command(nvcc, s, includes), capture_output=True, text=True)), sources))
    failed = 0
    for source, proc in results:
        status = "ok" if proc.returncode == 0 else "FAILED"
        print(f"check_cuda: {source.relative_to(ROOT)}: {status}")
        if proc.returncode != 0:
            failed += 1
            print(proc.stdout + proc.stderr)
    print(f"check_cuda: {len(sources) - failed}/{len(sources)} CUDA file(s) compiled with {nvcc}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
