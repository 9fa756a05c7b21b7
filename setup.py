"""The compiled kernel of the quality signals (docs/signals.md, Throughput); everything else is in pyproject.toml.

``pip install -e .`` builds it for the install; ``make kernel`` builds it in place, for ``PYTHONPATH=src``.
"""

from setuptools import Extension, setup

setup(ext_modules=[Extension("opencoder.refine.signals._kernel", ["src/opencoder/refine/signals/_kernel.c"])])
