"""Build ``triptych._C`` with AddressSanitizer + UndefinedBehaviorSanitizer and run the op tests.

The build happens in a copy of the tree (``build/sanitize/src``), so the normal build and its
objects are untouched. The tests run from that copy with the sanitizer runtime preloaded
(``LD_PRELOAD`` of ``gcc -print-file-name=libasan.so``: the Python interpreter is not
instrumented; libstdc++ is preloaded after it, or ASan's ``__cxa_throw`` interceptor finds no
real function — libstdc++ arrives with torch, after ASan started — and every C++ exception a
kernel throws for a bad argument ends in "CHECK failed: asan_interceptors.cpp"), leak detection off (torch keeps allocations alive at exit by design) and
UBSan stopping at the first report. Exits non-zero on a build failure, a sanitizer report or
a failing test, and prints how long each step took.

    python tools/sanitize.py [pytest arguments]     (make sanitize)
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
WORK = ROOT / "build" / "sanitize"
TESTS = ["tests/test_ops.py", "tests/test_op_conformance.py", "tests/vision/test_vision_ops.py",
         "tests/vision/test_decode_jpeg.py"]  # the JPEG decoder, its fuzz test included
# Folders mapped to import names by setup.py's PACKAGE_DIRS; the copy links them under core/
# so that the copied ``core`` folder *is* the ``triptych`` package.
DOMAINS = ("vision", "audio", "text", "datasets")


def copy_tree(dest: Path) -> None:
    """Tracked and untracked-but-not-ignored files, as the working tree has them."""
    listed = subprocess.run(["git", "ls-files", "-co", "--exclude-standard", "-z"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = ROOT / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    for domain in DOMAINS:
        (dest / "core" / domain).symlink_to(Path("..") / domain)


def gcc_library(name: str) -> str:
    return subprocess.run(["gcc", f"-print-file-name={name}"], capture_output=True, text=True, check=True).stdout.strip()


def main() -> int:
    started = time.perf_counter()
    preload = [gcc_library("libasan.so"), gcc_library("libstdc++.so")]
    if not all(Path(lib).is_file() for lib in preload):
        print(f"sanitize: runtime libraries not found ({preload}); install gcc's sanitizer runtime")
        return 1
    shutil.rmtree(WORK, ignore_errors=True)
    src, stage = WORK / "src", WORK / "stage"
    copy_tree(src)
    stage.mkdir()
    (stage / "triptych").symlink_to(src / "core")

    env = {**os.environ, "TRIPTYCH_SANITIZE": "1", "TRIPTYCH_CUDA": "0", "MAX_JOBS": os.environ.get("MAX_JOBS", "1")}
    build = subprocess.run([sys.executable, "setup.py", "-q", "build_ext", "--inplace"], cwd=src, env=env,
                           capture_output=True, text=True)
    if build.returncode != 0:
        print(build.stdout[-20000:] + build.stderr[-20000:])
        print("sanitize: the instrumented build failed")
        return 1
    built = time.perf_counter()
    print(f"sanitize: instrumented build took {built - started:.0f} s")

    env = {
        **os.environ,
        "PYTHONPATH": str(stage),
        "LD_PRELOAD": " ".join(preload),
        # allocator_may_return_null: a test asks for a 3 TB output and expects the op's error
        # message; ASan would otherwise abort on the request instead of returning null.
        "ASAN_OPTIONS": "detect_leaks=0:allocator_may_return_null=1",
        "UBSAN_OPTIONS": "halt_on_error=1:print_stacktrace=1",
    }
    env.pop("TRIPTYCH_NO_EXT", None)
    probe = ("import triptych, triptych.library as l; print(triptych.__file__); "
             "assert l.EXTENSION_ERROR is None, l.EXTENSION_ERROR")
    where = subprocess.run([sys.executable, "-c", probe], cwd=src, env=env, capture_output=True, text=True)
    if where.returncode != 0 or not where.stdout.strip().startswith(str(stage)):
        print(f"sanitize: the instrumented triptych did not load:\n{where.stdout}{where.stderr}")
        return 1
    tests = [t for t in TESTS if (src / t).exists()]
    proc = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *tests, *sys.argv[1:]],
                          cwd=src, env=env)
    print(f"sanitize: tests under ASan+UBSan took {time.perf_counter() - built:.0f} s "
          f"({time.perf_counter() - started:.0f} s in all); exit status {proc.returncode}")
    return proc.returncode


if __name__ == "__main__":
    sys.exit(main())
