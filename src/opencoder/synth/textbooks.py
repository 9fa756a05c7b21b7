"""Annealing: code textbooks (SPEC §3). The teacher writes an educational explanation, an "interactive
analysis", of a high-quality seed program. Nothing to execute: an explanation is kept when it is long enough and
talks about the seed's own code (names one of its functions or quotes code)."""

from __future__ import annotations

import re
from typing import Any

from opencoder.synth.common import seed_excerpt
from opencoder.synth.parsing import Reject, code_blocks
from opencoder.synth.pipeline import Ask, Check, Item, Recipe, SynthContext

PROMPT = """You are writing a section of a programming textbook for students. Explain the program below: \
what problem it solves, how it works step by step, and which ideas a reader should take away. Quote the key \
lines in ```python blocks while you discuss them, and finish with one short exercise for the reader.

[Program]
{seed}
"""

MIN_CHARS = 300
_NAME = re.compile(r"^\s*(?:def|class)\s+(\w+)", re.M)


def prompt(item: Item, ctx: SynthContext) -> str:
    return PROMPT.format(seed=seed_excerpt(item, ctx))


def check(item: Item, ctx: SynthContext) -> None:
    text = item.fields["generated"].strip()
    minimum = int(ctx.options.get("min_chars", MIN_CHARS))
    if len(text) < minimum:
        raise Reject(f"explanation of {len(text)} characters, {minimum} needed")
    names = set(_NAME.findall(item.seed.text))
    if not code_blocks(text) and not any(re.search(rf"\b{re.escape(n)}\b", text) for n in names):
        raise Reject("the explanation neither quotes code nor names the seed's functions")
    item.fields["textbook"] = text


def sample(item: Item, ctx: SynthContext) -> dict[str, Any]:
    messages = [{"role": "user", "content": item.fields["generated_prompt"]},
                {"role": "assistant", "content": item.fields["textbook"]}]  # fmt: skip
    return {"text": item.fields["textbook"], "messages": messages}


RECIPE = Recipe(
    name="textbooks",
    kind="anneal",
    steps=(Ask("generated", prompt, "generated", max_tokens=768), Check("parsed", check)),
    sample=sample,
)
