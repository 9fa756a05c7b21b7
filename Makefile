# Two entry points that do all their own set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint clean kernel

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q -U pip
	# The CPU wheel of torch lies on these machines' disk; pinning it first keeps pip from pulling a CUDA build.
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e ".[train,ray,eval,dev]"
	touch $(STAMP)

# The compiled kernels (signals, preprocess), in place next to their sources (pip install -e builds it too; this rebuilds it after
# a change to a C file, and is a no-op otherwise).
kernel: $(STAMP)
	$(PY) setup.py -q build_ext --inplace

demo: kernel
	$(VENV)/bin/opencoder demo

test: kernel
	$(PY) -m pytest -q

lint: $(STAMP)
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) .demo build src/opencoder/refine/signals/*.so
