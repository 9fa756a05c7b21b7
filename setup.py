"""The compiled kernels: the quality signals' (docs/signals.md, Throughput), preprocess's byte checks and the
tree reader's loop (docs/refine.md, Speed and memory); everything else is in pyproject.toml.

``pip install -e .`` builds them for the install; ``make kernel`` builds them in place, for ``PYTHONPATH=src``.
"""

from setuptools import Extension, setup

setup(
    ext_modules=[
        Extension(
            "opencoder.refine.signals._kernel",
            ["src/opencoder/refine/signals/_kernel.c", "src/opencoder/refine/signals/_pyfacts.c"],
            depends=["src/opencoder/refine/signals/_kernel.h"],
        ),
        Extension("opencoder.io._bytescan", ["src/opencoder/io/_bytescan.c"]),
        Extension("opencoder.io._treeread", ["src/opencoder/io/_treeread.c"]),
    ]
)
