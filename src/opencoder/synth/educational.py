"""SFT: Educational-Instruct (SPEC §4, Magicoder-style). A judge scores the seed's value for teaching; seeds
scoring at least `judge_threshold` go to the teacher, who writes a task, an analysis, a solution and ten
asserts; a sample is kept only when the asserts pass."""

from __future__ import annotations

from typing import Any

from opencoder.synth.common import checked_program, fenced, seed_excerpt
from opencoder.synth.parsing import Reject, code_and_tests, score, sections
from opencoder.synth.pipeline import Ask, Check, Execute, Item, Recipe, SynthContext

JUDGE = """Rate the code below for how much a student learning Python could learn from it: is it clear, \
correct, self-contained and about a meaningful problem? Answer with one whole number from 0 (worthless) to 10 \
(excellent) and nothing else.

[Code]
{seed}

Score:"""

TEACHER = """You are a teaching assistant who turns a code snippet into a Python programming exercise. Your \
answer must have exactly these four parts, each starting with its header on its own line:

[Task]
A detailed, independent programming task inspired by the snippet, asking for a Python function.
[Analysis]
The reasoning that leads to a solution, step by step.
[Solution]
A correct, self-contained reference solution in one ```python block.
[Test]
Ten assert statements that check the solution, in one ```python block.

[Code Snippet]
{seed}
"""

PARTS = ("Task", "Analysis", "Solution", "Test")
THRESHOLD = 5
JUDGE_TOKENS = 48  # room for a few words before the number; score() finds it among them
TEN = 10


def judge_prompt(item: Item, ctx: SynthContext) -> str:
    return JUDGE.format(seed=seed_excerpt(item, ctx, 2000))


def judged(item: Item, ctx: SynthContext) -> None:
    value = score(item.fields["judgement"])
    item.fields["score"] = value
    threshold = int(ctx.options.get("judge_threshold", THRESHOLD))
    if value < threshold:
        raise Reject(f"judge score {value} below {threshold}")


def teacher_prompt(item: Item, ctx: SynthContext) -> str:
    return TEACHER.format(seed=seed_excerpt(item, ctx))


def parsed(item: Item, ctx: SynthContext) -> None:
    parts = sections(item.fields["generated"], PARTS)
    item.fields["task"], item.fields["analysis"] = parts["Task"], parts["Analysis"]
    minimum = int(ctx.options.get("min_asserts", TEN))
    item.fields["solution"], item.fields["tests"] = code_and_tests(parts["Solution"] + "\n" + parts["Test"], minimum)


def sample(item: Item, ctx: SynthContext) -> dict[str, Any]:
    answer = (f"{item.fields['analysis']}\n\n{fenced(item.fields['solution'])}\n\n"
              f"Tests:\n\n{fenced(chr(10).join(item.fields['tests']))}")  # fmt: skip
    messages = [{"role": "user", "content": item.fields["task"]}, {"role": "assistant", "content": answer}]
    return {"messages": messages, "judge_score": item.fields["score"], "language": "python"}


RECIPE = Recipe(
    name="educational",
    kind="sft",
    steps=(
        Ask("judged", judge_prompt, "judgement", max_tokens=JUDGE_TOKENS),
        Check("scored", judged),
        Ask("generated", teacher_prompt, "generated", max_tokens=1024),
        Check("parsed", parsed),
        Execute("passed", checked_program),
    ),
    sample=sample,
)
