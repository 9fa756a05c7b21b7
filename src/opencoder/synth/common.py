"""Pieces several recipes share: the program that runs a solution against its asserts, and the check that
reads code and tests from an answer."""

from __future__ import annotations

from collections.abc import Callable

from opencoder.synth.parsing import clip, code_and_tests
from opencoder.synth.pipeline import Item, SynthContext


def program_of(field: str) -> Callable[[Item], str]:
    """The program that runs fields[field] (a solution) followed by the item's asserts: passes when all hold."""

    def program(item: Item) -> str:
        return item.fields[field] + "\n\n" + "\n".join(item.fields["tests"]) + "\n"

    return program


checked_program = program_of("solution")


def read_code_and_tests(answer_field: str, default_min_asserts: int = 1) -> Callable[[Item, SynthContext], None]:
    """A Check function: fields[answer_field] -> fields solution and tests (option min_asserts)."""

    def check(item: Item, ctx: SynthContext) -> None:
        minimum = int(ctx.options.get("min_asserts", default_min_asserts))
        item.fields["solution"], item.fields["tests"] = code_and_tests(item.fields[answer_field], minimum)

    return check


def fenced(code: str) -> str:
    return f"```python\n{code.rstrip()}\n```"


def seed_excerpt(item: Item, ctx: SynthContext, default: int = 3000) -> str:
    """The seed as a prompt quotes it: cut at the option `seed_chars` (prompt length is what a small teacher on a
    CPU pays for most)."""
    return clip(item.seed.text, int(ctx.options.get("seed_chars", default)))
