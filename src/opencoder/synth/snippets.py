"""Annealing: high-quality code snippets (SPEC §3, after phi-1's CodeExercises). From an algorithmic seed the
teacher writes one self-contained function and tests; only snippets whose tests pass in the sandbox are kept."""

from __future__ import annotations

from typing import Any

from opencoder.synth.common import checked_program, fenced, read_code_and_tests, seed_excerpt
from opencoder.synth.pipeline import Ask, Check, Execute, Item, Recipe, SynthContext

PROMPT = """You write short, self-contained practice code. Read the seed program below, then write one new \
Python function that solves a small, well-defined problem in the same spirit. Use only the standard library, \
no input() and no printing.

Answer with one ```python block holding the function, then a second ```python block holding at least three \
assert statements that call it and check its results.

[Seed program]
{seed}
"""


def prompt(item: Item, ctx: SynthContext) -> str:
    return PROMPT.format(seed=seed_excerpt(item, ctx))


def sample(item: Item, ctx: SynthContext) -> dict[str, Any]:
    code = checked_program(item)
    answer = fenced(item.fields["solution"]) + "\n\n" + fenced("\n".join(item.fields["tests"]))
    messages = [{"role": "user", "content": item.fields["generated_prompt"]}, {"role": "assistant", "content": answer}]
    return {"text": code, "messages": messages, "language": "python"}


RECIPE = Recipe(
    name="snippets",
    kind="anneal",
    steps=(
        Ask("generated", prompt, "generated", max_tokens=512),
        Check("parsed", read_code_and_tests("generated", 1)),
        Execute("passed", checked_program),
    ),
    sample=sample,
)
