"""``opencoder ablate ABLATION.yaml``: the paper's ablations (SPEC §7) as runnable experiments (docs/ablate.md)."""

from opencoder.ablate.run import run_ablation
from opencoder.ablate.spec import load_ablation

__all__ = ["load_ablation", "run_ablation"]
