"""Annealing: the algorithmic corpus (SPEC §3), selected from refined code by keywords, no teacher.

Files holding "leetcode", "def solution" or "class solution" (any case) are strongly logical and self-contained;
the keyword list is the option `keywords`."""

from __future__ import annotations

from typing import Any

from opencoder.synth.parsing import Reject
from opencoder.synth.pipeline import Check, Item, Recipe, SynthContext

KEYWORDS = ("leetcode", "def solution", "class solution")


def select(item: Item, ctx: SynthContext) -> None:
    keywords = [k.lower() for k in ctx.options.get("keywords") or KEYWORDS]
    text = item.seed.text.lower()
    hits = [k for k in keywords if k in text]
    if not hits:
        raise Reject("no algorithmic keyword")
    item.fields["keywords"] = hits


def sample(item: Item, ctx: SynthContext) -> dict[str, Any]:
    return {"text": item.seed.text, "keywords": item.fields["keywords"], **item.seed.meta}


RECIPE = Recipe(
    name="algorithmic",
    kind="anneal",
    steps=(Check("selected", select),),
    sample=sample,
    needs_teacher=False,
)
