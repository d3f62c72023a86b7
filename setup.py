"""Build script: maps the card's folders to import names and builds ``triptych._C``.

``triptych._C`` is built from every C++ file under ``core/csrc`` against the libtorch
stable ABI (``TORCH_TARGET_VERSION`` = 2.10) with ``py_limited_api``, so one build loads
on every torch >= 2.10.  CUDA sources (``*.cu``) are added when ``TRIPTYCH_CUDA=1``, or
with ``TRIPTYCH_CUDA=auto`` (the default) when torch is a CUDA build and a toolkit is found.
``TRIPTYCH_NO_BUILD=1`` skips the extension (the pure-torch fallbacks are used);
``TRIPTYCH_SANITIZE=1`` builds it with AddressSanitizer and UndefinedBehaviorSanitizer
(``make sanitize`` does so in a copy of the tree).
"""

import os
from pathlib import Path

from setuptools import setup

ROOT = Path(__file__).resolve().parent
PACKAGE_DIRS = {
    "triptych": "core",
    "triptych.vision": "vision",
    "triptych.audio": "audio",
    "triptych.text": "text",
    "triptych.datasets": "datasets",
}
# torch's encoding of 2.10.0 for TORCH_TARGET_VERSION: major << 56 | minor << 48.
TORCH_TARGET_VERSION = "0x020a000000000000"
PY_LIMITED_API = "0x03090000"


def find_packages():
    """Every folder with an ``__init__.py`` below the mapped roots, as import names."""
    packages = []
    for package, folder in PACKAGE_DIRS.items():
        for init in sorted((ROOT / folder).rglob("__init__.py")):
            rel = init.parent.relative_to(ROOT / folder)
            if "csrc" in rel.parts:
                continue
            packages.append(".".join((package, *rel.parts)) if rel.parts else package)
    return packages


def cuda_wanted(torch_module):
    from torch.utils.cpp_extension import CUDA_HOME

    mode = os.environ.get("TRIPTYCH_CUDA", "auto").lower()
    if mode in ("0", "false", "no"):
        return False
    if mode in ("1", "true", "yes"):
        return True
    return torch_module.version.cuda is not None and CUDA_HOME is not None


def extensions():
    if os.environ.get("TRIPTYCH_NO_BUILD") == "1":
        return [], {}
    import torch
    from torch.utils.cpp_extension import BuildExtension, CppExtension, CUDAExtension

    csrc = ROOT / "core" / "csrc"
    sources = sorted(str(p.relative_to(ROOT)) for p in csrc.rglob("*.cpp"))
    with_cuda = cuda_wanted(torch)
    macros = [("TORCH_TARGET_VERSION", TORCH_TARGET_VERSION), ("Py_LIMITED_API", PY_LIMITED_API)]
    cxx_flags = ["-O3", "-std=c++17", "-fdiagnostics-color=always"]
    link_flags = []
    if os.environ.get("TRIPTYCH_SANITIZE") == "1":  # `make sanitize` (tools/sanitize.py)
        sanitize = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer"]
        cxx_flags = ["-O1", "-g", "-std=c++17", *sanitize]
        link_flags = sanitize
    extra = {"cxx": cxx_flags}
    kind = CppExtension
    if with_cuda:
        sources += sorted(str(p.relative_to(ROOT)) for p in csrc.rglob("*.cu"))
        macros.append(("TRIPTYCH_WITH_CUDA", "1"))
        extra["nvcc"] = ["-O3", "-std=c++17", "--expt-relaxed-constexpr", "-DUSE_CUDA"]
        kind = CUDAExtension
    # torch's ninja build names each object after its source's stem: normalize.cpp and
    # normalize.cu would both become normalize.o. CUDA files are therefore <op>_cuda.cu; this
    # check keeps a clash from surfacing only on a GPU machine.
    every = sources + [str(p.relative_to(ROOT)) for p in csrc.rglob("*.cu") if str(p.relative_to(ROOT)) not in sources]
    stems = [Path(s).with_suffix("").as_posix() for s in every]
    clashes = sorted({s for s in stems if stems.count(s) > 1})
    if clashes:
        raise SystemExit(f"setup.py: sources that would share an object file: {clashes}")
    ext = kind(
        "triptych._C",
        sources,
        include_dirs=[str(csrc)],
        define_macros=macros,
        extra_compile_args=extra,
        extra_link_args=link_flags,
        py_limited_api=True,
    )
    return [ext], {"build_ext": BuildExtension.with_options(no_python_abi_suffix=True)}


ext_modules, cmdclass = extensions()
setup(
    packages=find_packages(),
    package_dir=PACKAGE_DIRS,
    ext_modules=ext_modules,
    cmdclass=cmdclass,
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
