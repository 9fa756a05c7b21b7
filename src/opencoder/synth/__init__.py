"""Synthetic annealing and SFT data validated by execution (SPEC §3, §4): `run_synth(load_recipe(name), seeds,
out, ctx)` over the generation backends and the sandbox. One module per recipe (catalog.py lists them);
pipeline.py is what they share."""

from opencoder.synth.catalog import CATALOG, load_recipe

__all__ = ["CATALOG", "load_recipe"]
