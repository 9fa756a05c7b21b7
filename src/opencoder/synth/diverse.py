"""SFT: Large-scale Diverse-Instruct (SPEC §4, after MAmmoTH2). From a web-text seed (the recall output): a
task specification picks language, difficulty and task type (a seeded draw per seed, so reruns agree), the
teacher writes a question at temperature 1.0 and then answers it, the answer's code runs against its asserts,
and the teacher refines the answer with comments and an explanation. The refined answer is kept when its code
still passes the same asserts; otherwise the validated answer is kept as it was (the sample says which)."""

from __future__ import annotations

import hashlib
from typing import Any

from opencoder.synth.common import checked_program, program_of, read_code_and_tests, seed_excerpt
from opencoder.synth.parsing import Reject, code_and_tests
from opencoder.synth.pipeline import Ask, Check, Execute, Item, Recipe, SynthContext

LANGUAGES = ("python",)  # the languages the sandbox runs; add one here when it runs more
DIFFICULTIES = ("easy", "medium", "hard")
TASK_TYPES = ("function implementation", "algorithm design", "data processing", "string manipulation",
              "math and numbers", "data structures", "bug fixing")  # fmt: skip

QUESTION = """You design high-quality programming questions based on a given text.

Guidelines:
- Take inspiration from the text, but the question must be fully self-contained: a reader who never saw the \
text can answer it.
- Language: {language}. Difficulty: {difficulty}. Task type: {task_type}.
- Ask for one function with a clear name, inputs and output, so that the answer can be tested.
- Write only the question, no answer.

[Given Text]
{seed}

[Created Question]
"""

ANSWER = """Answer the programming question below. Give the complete solution as one {language} function in a \
```{language} block, then a second ```{language} block with at least three assert statements that test it.

[Question]
{question}
"""

REFINE = """Improve the answer below for a learner: add clear comments to the code and a short explanation \
after it. Do not change what the code does. Answer with the commented code in one ```{language} block \
followed by the explanation.

[Question]
{question}

[Answer]
```{language}
{solution}```
"""


def _pick(seed_id: str, what: str, options: tuple[str, ...]) -> str:
    digest = hashlib.sha256(f"{seed_id}\0{what}".encode()).digest()
    return options[int.from_bytes(digest[:8], "little") % len(options)]


def specify(item: Item, ctx: SynthContext) -> None:
    for what, default in (("language", LANGUAGES), ("difficulty", DIFFICULTIES), ("task_type", TASK_TYPES)):
        item.fields[what] = _pick(item.seed.id, what, tuple(ctx.options.get(f"{what}s") or default))


def question_prompt(item: Item, ctx: SynthContext) -> str:
    f = item.fields
    return QUESTION.format(seed=seed_excerpt(item, ctx, 2000), language=f["language"], difficulty=f["difficulty"],
                           task_type=f["task_type"])  # fmt: skip


def answer_prompt(item: Item, ctx: SynthContext) -> str:
    return ANSWER.format(language=item.fields["language"], question=item.fields["question"].strip())


def refine_prompt(item: Item, ctx: SynthContext) -> str:
    f = item.fields
    return REFINE.format(language=f["language"], question=f["question"].strip(), solution=f["solution"])


def read_refined(item: Item, ctx: SynthContext) -> None:
    """fields refined_solution: the refined code run against the original asserts by the next step."""
    try:
        item.fields["refined_solution"], _ = code_and_tests(item.fields.get("refined", ""), 0)
    except (Reject, KeyError) as why:
        item.fields["refined_solution"] = item.fields["solution"]
        item.fields["refinement"] = f"dropped: {why}"


def sample(item: Item, ctx: SynthContext) -> dict[str, Any]:
    f = item.fields
    check = f.get("refine_validation") or {}
    if "refinement" not in f and check.get("outcome") == "passed":
        answer, refinement = f["refined"].strip(), "kept"
    else:
        answer = f["answer"].strip()
        refinement = f.get("refinement") or f"dropped: refined code {check.get('outcome')}: {check.get('reason')}"
    messages = [{"role": "user", "content": f["question"].strip()}, {"role": "assistant", "content": answer}]
    spec = {"language": f["language"], "difficulty": f["difficulty"], "task_type": f["task_type"]}
    return {"messages": messages, **spec, "refinement": refinement}


RECIPE = Recipe(
    name="diverse",
    kind="sft",
    steps=(
        Check("specified", specify),
        Ask("question", question_prompt, "question", temperature=1.0, max_tokens=384),
        Ask("generated", answer_prompt, "answer", max_tokens=768),
        Check("parsed", read_code_and_tests("answer", 1)),
        Execute("passed", checked_program),
        Ask("refined", refine_prompt, "refined", max_tokens=1024, required=False),
        Check("refine_parsed", read_refined),
        Execute("refine_validated", program_of("refined_solution"), into="refine_validation", required=False),
    ),
    sample=sample,
)
