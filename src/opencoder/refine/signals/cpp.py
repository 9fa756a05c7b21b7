"""C++ signals (``qsc_codecpp_*``, SPEC §1.5.2); the computations live in clike.py, shared with C."""

from opencoder.refine.signals.clike import signals

SIGNALS = signals("codecpp", ("cout", "printf"), r"\b(?:cout|printf)\b")
