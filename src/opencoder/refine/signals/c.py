"""C signals (``qsc_codec_*``, SPEC §1.5.2); the computations live in clike.py, shared with C++."""

from opencoder.refine.signals.clike import signals

SIGNALS = signals("codec", ("printf",), r"\bprintf\b")
