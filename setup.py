"""Build script: maps the card's folders to import names and builds ``triptych._C``.

``triptych._C`` is built from every C++ file under ``core/csrc`` against the libtorch
stable ABI (``TORCH_TARGET_VERSION`` = 2.10) with ``py_limited_api``, so one build loads
on every torch >= 2.10.  CUDA sources (``*.cu``) are added when ``TRIPTYCH_CUDA=1``, or
with ``TRIPTYCH_CUDA=auto`` (the default) when torch is a CUDA build and a toolkit is found.
``TRIPTYCH_NO_BUILD=1`` skips the extension (the pure-torch fallbacks are used);
``TRIPTYCH_SANITIZE=1`` builds it with AddressSanitizer and UndefinedBehaviorSanitizer
(``make sanitize`` does so in a copy of the tree).

``TRIPTYCH_JPEG=auto|1|0`` builds the JPEG decoder (``core/csrc/vision/decode_jpeg.cpp``) against
libjpeg-turbo >= 2.1 (for ``jpeg_crop_scanline`` / ``jpeg_skip_scanlines``): ``auto`` (the
default) when its headers and static ``libjpeg.a`` are found and link into a shared object,
``1`` fails the build otherwise, ``0`` leaves it out (``triptych.vision.io`` then decodes
JPEGs with Pillow). ``TRIPTYCH_JPEG_ROOT`` adds a prefix to search (``<root>/include``,
``<root>/lib``). The library is linked statically, with its symbols kept private, so an
installed wheel needs no system libjpeg and cannot bind to another copy (Pillow's) at run time.
"""

import os
import re
import subprocess
import sys
import tempfile
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


JPEG_SOURCES = ("decode_jpeg.cpp", "decode_jpeg_errors.cpp")
# libjpeg-turbo 2.1 decodes crops at any scale without the 1.5/2.0 skip/crop bugs.
JPEG_MIN_TURBO_VERSION = 2001000
SYSTEM_INCLUDE_DIRS = {"/usr/include", "/usr/local/include",
                       *(f"/usr/include/{os.uname().machine}-linux-gnu" for _ in [0] if hasattr(os, "uname"))}


def _jpeg_candidates():
    roots = [os.environ["TRIPTYCH_JPEG_ROOT"]] if os.environ.get("TRIPTYCH_JPEG_ROOT") else []
    roots += [sys.prefix, "/usr/local", "/usr"]
    multiarch = [f"{os.uname().machine}-linux-gnu"] if hasattr(os, "uname") else []
    for root in roots:
        includes = [Path(root, "include")] + [Path(root, "include", m) for m in multiarch]
        libs = [Path(root, d) for d in ("lib", "lib64", *(f"lib/{m}" for m in multiarch))]
        yield includes, libs


def find_libjpeg_turbo():
    """(include dirs, static library) of a usable libjpeg-turbo, or (None, reason)."""
    reasons = []
    for includes, libs in _jpeg_candidates():
        header = next((d for d in includes if (d / "jpeglib.h").is_file()), None)
        config = next((d / "jconfig.h" for d in includes if (d / "jconfig.h").is_file()), None)
        archive = next((d / "libjpeg.a" for d in libs if (d / "libjpeg.a").is_file()), None)
        if header is None or config is None or archive is None:
            continue
        found = re.search(r"LIBJPEG_TURBO_VERSION_NUMBER\s+(\d+)", config.read_text(errors="replace"))
        if not found or int(found.group(1)) < JPEG_MIN_TURBO_VERSION:
            reasons.append(f"{config}: not libjpeg-turbo >= 2.1")
            continue
        # The compiler's own directories stay implicit: -I/usr/include breaks #include_next.
        include_dirs = sorted({str(header), str(config.parent)} - SYSTEM_INCLUDE_DIRS)
        problem = _link_check(include_dirs, archive)
        if problem:
            reasons.append(problem)
            continue
        return include_dirs, str(archive)
    return None, "; ".join(reasons) or "jpeglib.h, jconfig.h and libjpeg.a not found"


def _link_check(include_dirs: list[str], archive: Path) -> str | None:
    """Link a shared object from the archive the way _C is linked; None if it works.

    Debian's libjpeg.a is not compiled with -fPIC. It still links into a shared object once
    its symbols are made local (``--exclude-libs``) and jerror.o, the one object that
    references glibc data (``stderr``) directly, is replaced by decode_jpeg_errors.cpp.
    """
    probe = ('#include <cstdio>\n#include <jpeglib.h>\n'
             'extern "C" int triptych_probe() { jpeg_decompress_struct c; jpeg_error_mgr e;'
             ' c.err = jpeg_std_error(&e); jpeg_create_decompress(&c); jpeg_destroy_decompress(&c);'
             ' return (int)sizeof(&jpeg_crop_scanline) + (int)sizeof(&jpeg_skip_scanlines)'
             ' + (int)sizeof(&jpeg_read_scanlines) + (int)sizeof(&jpeg_start_decompress); }\n')
    errors = ROOT / "core" / "csrc" / "vision" / "decode_jpeg_errors.cpp"
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp, "probe.cpp")
        source.write_text(probe)
        command = [os.environ.get("CXX", "c++"), "-shared", "-fPIC", *(f"-I{d}" for d in include_dirs),
                   str(source), str(errors), str(archive), f"-Wl,--exclude-libs,{archive.name}",
                   "-o", str(Path(tmp, "probe.so"))]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=120)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"{archive}: link check could not run ({exc})"
    if done.returncode != 0:
        return f"{archive}: does not link into a shared object: {done.stderr.strip()[-400:]}"
    return None


def jpeg_wanted() -> tuple[list[str], str] | None:
    mode = os.environ.get("TRIPTYCH_JPEG", "auto").lower()
    if mode in ("0", "false", "no"):
        return None
    include, archive = find_libjpeg_turbo()
    if include is None:
        if mode in ("1", "true", "yes"):
            raise SystemExit(f"setup.py: TRIPTYCH_JPEG=1 but no usable libjpeg-turbo: {archive}")
        print(f"setup.py: building without the JPEG decoder ({archive})", file=sys.stderr)
        return None
    return include, archive


def extensions():
    if os.environ.get("TRIPTYCH_NO_BUILD") == "1":
        return [], {}
    import torch
    from torch.utils.cpp_extension import BuildExtension, CppExtension, CUDAExtension

    csrc = ROOT / "core" / "csrc"
    text_csrc = csrc / "text"
    jpeg = jpeg_wanted()
    sources = sorted(str(p.relative_to(ROOT)) for p in csrc.rglob("*.cpp")
                     if text_csrc not in p.parents and (jpeg is not None or p.name not in JPEG_SOURCES))
    with_cuda = cuda_wanted(torch)
    macros = [("TORCH_TARGET_VERSION", TORCH_TARGET_VERSION), ("Py_LIMITED_API", PY_LIMITED_API)]
    cxx_flags = ["-O3", "-std=c++17", "-fdiagnostics-color=always"]
    link_flags = []
    if os.environ.get("TRIPTYCH_SANITIZE") == "1":  # `make sanitize` (tools/sanitize.py)
        sanitize = ["-fsanitize=address,undefined", "-fno-sanitize-recover=undefined", "-fno-omit-frame-pointer"]
        cxx_flags = ["-O1", "-g", "-std=c++17", *sanitize]
        link_flags = sanitize
    text_ext = text_extension(text_csrc, csrc, cxx_flags, link_flags)  # before _C's libjpeg flags
    include_dirs, extra_objects = [str(csrc)], []
    if jpeg is not None:
        include_dirs += jpeg[0]
        extra_objects.append(jpeg[1])
        # The archive's symbols stay local to _C: no clash with another libjpeg in the process.
        link_flags = [*link_flags, f"-Wl,--exclude-libs,{Path(jpeg[1]).name}"]
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
        include_dirs=include_dirs,
        extra_objects=extra_objects,
        define_macros=macros,
        extra_compile_args=extra,
        extra_link_args=link_flags,
        py_limited_api=True,
    )
    return [ext, text_ext], {
        "build_ext": BuildExtension.with_options(no_python_abi_suffix=True)
    }


def text_extension(text_csrc, csrc, cxx_flags, link_flags):
    """``triptych._text``: the tokenizers' core, a plain CPython limited-API module (no libtorch).

    Tokenizers take and return Python strings and lists, which torch custom ops cannot carry;
    see core/csrc/text/text_module.cpp. Py_LIMITED_API 3.10 for PyUnicode_AsUTF8AndSize
    (the project requires Python >= 3.10). Same compiler flags as _C (sanitizers included).
    """
    from setuptools import Extension

    return Extension(
        "triptych._text",
        sorted(str(p.relative_to(ROOT)) for p in text_csrc.glob("*.cpp")),
        include_dirs=[str(csrc)],
        define_macros=[("Py_LIMITED_API", "0x030A0000")],
        extra_compile_args=[*cxx_flags, "-pthread"],
        extra_link_args=[*link_flags, "-pthread"],
        language="c++",
        py_limited_api=True,
    )


ext_modules, cmdclass = extensions()
setup(
    packages=find_packages(),
    package_dir=PACKAGE_DIRS,
    ext_modules=ext_modules,
    cmdclass=cmdclass,
    options={"bdist_wheel": {"py_limited_api": "cp39"}},
)
