# Two commands set up everything on a fresh machine:
#   make demo   create .venv, install, build, run the demo and the vision and text training examples offline
#   make test   the same install, then ruff, the CUDA compile check, pytest and `make sanitize`
PYTHON ?= python3
VENV   ?= .venv
PY     := $(VENV)/bin/python
# A CPU-only machine gets the CPU build of torch that lies on disk; a bare `torch` would
# pull a multi-GB CUDA build. Machines with an NVIDIA GPU take any torch >= 2.10.
HAS_GPU := $(shell nvidia-smi -L >/dev/null 2>&1 && echo 1)
TORCH   ?= $(if $(HAS_GPU),torch>=2.10,torch==2.13.0)
SOURCES := pyproject.toml setup.py $(shell find core/csrc -name '*.cpp' -o -name '*.cu' -o -name '*.h' 2>/dev/null)
STAMP   := $(VENV)/.triptych-installed

.PHONY: install demo test lint cuda-check sanitize bench clean

install: $(STAMP)

# numpy comes before the --no-build-isolation build: torch imports it while _C builds.
$(STAMP): $(SOURCES)
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q "$(TORCH)" numpy setuptools wheel
	$(PY) -m pip install -q --no-build-isolation -e '.[all,dev]'
	touch $@

demo: install
	TRIPTYCH_OFFLINE=1 $(PY) examples/demo.py
	TRIPTYCH_OFFLINE=1 $(PY) examples/train_vision.py --out $(VENV)/train_vision
	TRIPTYCH_OFFLINE=1 $(PY) examples/train_text.py --out $(VENV)/train_text
	TRIPTYCH_OFFLINE=1 $(PY) examples/train_audio.py --out $(VENV)/train_audio

lint: install
	$(VENV)/bin/ruff check .

cuda-check: install
	$(PY) tools/check_cuda.py

test: lint cuda-check
	$(PY) -m pytest -q
	$(PY) tools/sanitize.py

# _C built with ASan + UBSan in a copy of the tree (build/sanitize), then the op tests under it.
sanitize: install
	$(PY) tools/sanitize.py

bench: install
	$(PY) benchmarks/run_all.py

clean:
	rm -rf build $(VENV) core/_C*.so
