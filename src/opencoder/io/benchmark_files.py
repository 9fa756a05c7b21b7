"""Where the benchmark files bundled with the package lie, for every layer that reads them (eval scores against
them, decontamination removes their text from training data)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# SPEC §8.1 (OpenCodeEval): MBPP prompts show tasks 1-3 as examples and test on tasks 10-509.
MBPP_FEWSHOT_IDS = (1, 2, 3)
MBPP_TEST_RANGE = range(10, 510)
# MBPP's own splits outside every evaluated task: training data for ablations (ablate/sources.py).
MBPP_VALIDATION_RANGE = range(511, 601)
MBPP_TRAIN_RANGE = range(601, 975)

BUNDLED = {
    "humaneval": "HumanEval.jsonl.gz",
    "humaneval+": "HumanEvalPlus-v0.1.10.jsonl.gz",
    "mbpp": "mbpp.jsonl.gz",
    "mbpp_sanitized": "mbpp_sanitized.jsonl.gz",
}


def bundled_path(name: str) -> Path:
    """The bundled file of benchmark ``name`` (a key of ``BUNDLED``)."""
    return Path(str(resources.files("opencoder.eval") / "data" / BUNDLED[name]))
