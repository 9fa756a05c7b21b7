"""The pipeline every recipe shares: seeds flow through a recipe's steps in chunks, then near-dedup and
decontamination; each seed ends as a line of ``samples.jsonl`` or of ``rejected.jsonl`` (with the step and the
reason), so documents in = kept + rejected.

Steps are batched over a chunk of seeds: an `Ask` step sends every live seed's prompt to the backend at once
(the HTTP backend keeps `concurrency` requests in flight), an `Execute` step runs every live seed's program in
the sandbox pool. After each chunk its lines are appended and flushed; a rerun skips the seeds already written
(a torn last line, from a SIGKILL, is cut off first) and the answer cache serves the prompts of the chunk that
was cut short, so no answer is paid for twice.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import orjson

from opencoder.generate import Backend, generate
from opencoder.io.writers import write_json_atomic
from opencoder.sandbox import Program, Sandbox, run_many
from opencoder.synth.decontam import Decontaminator
from opencoder.synth.dedup import NearDedup
from opencoder.synth.parsing import Reject
from opencoder.synth.seeds import Seed

log = logging.getLogger(__name__)

DEDUP_STEP = "deduplicated"
DECONTAM_STEP = "decontaminated"


@dataclass
class Item:
    """One seed on its way: what the steps produced so far, and the seconds spent on it per step."""

    seed: Seed
    fields: dict[str, Any] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


@dataclass
class SynthContext:
    """What steps may use: the teacher (None for recipes without one), the sandbox and recipe options."""

    backend: Backend | None
    sandbox: Sandbox | None
    generator: dict[str, Any]  # how samples were made: backend kind and model, recorded in each sample
    options: dict[str, Any] = field(default_factory=dict)
    workers: int | None = None  # sandbox programs at once (default: cores + 1)
    max_tokens: int = 512  # cap on every Ask step's max_tokens


class Step(Protocol):
    name: str

    def run(self, items: list[Item], ctx: SynthContext) -> list[str | None]:
        """Per item, None if it goes on, else the reason it stops here."""
        ...


@dataclass(frozen=True)
class Ask:
    """Send each item's prompt to the teacher; the answer goes to fields[into] (and the prompt to into_prompt).
    A step that is not `required` lets an item without an answer go on (a later step falls back)."""

    name: str
    prompt: Callable[[Item, SynthContext], str]
    into: str
    temperature: float = 0.0
    max_tokens: int = 512
    required: bool = True

    def run(self, items: list[Item], ctx: SynthContext) -> list[str | None]:
        if ctx.backend is None:
            raise ValueError(f"step {self.name} needs a generation backend")
        prompts = [self.prompt(item, ctx) for item in items]
        answers = generate(ctx.backend, prompts, 1, self.temperature, min(self.max_tokens, ctx.max_tokens))
        reasons: list[str | None] = []
        for index, (item, prompt, (text,)) in enumerate(zip(items, prompts, answers, strict=True)):
            if index in ctx.backend.failures:
                reasons.append(f"no answer: {ctx.backend.failures[index]}")
            elif not text.strip():
                reasons.append("empty answer")
            else:
                item.fields[f"{self.into}_prompt"] = prompt
                item.fields[self.into] = text
                reasons.append(None)
        return reasons if self.required else [None] * len(items)


@dataclass(frozen=True)
class Check:
    """A local step (parse, select, score): `fn` fills fields or raises Reject with the reason."""

    name: str
    fn: Callable[[Item, SynthContext], None]

    def run(self, items: list[Item], ctx: SynthContext) -> list[str | None]:
        reasons: list[str | None] = []
        for item in items:
            try:
                self.fn(item, ctx)
                reasons.append(None)
            except Reject as why:
                reasons.append(str(why))
        return reasons


@dataclass(frozen=True)
class Execute:
    """Run each item's program in the sandbox; passed or not goes to fields[into] (the validation result). A
    step that is not `required` only records the result."""

    name: str
    program: Callable[[Item], str]
    into: str = "validation"
    required: bool = True

    def run(self, items: list[Item], ctx: SynthContext) -> list[str | None]:
        if ctx.sandbox is None:
            raise ValueError(f"step {self.name} needs a sandbox")
        results = run_many(ctx.sandbox, [Program(self.program(item)) for item in items], ctx.workers)
        reasons: list[str | None] = []
        for item, result in zip(items, results, strict=True):
            item.fields[self.into] = {"outcome": result.outcome.value, "reason": result.reason,
                                      "seconds": round(result.seconds, 3)}  # fmt: skip
            reasons.append(None if result.passed or not self.required else f"{result.outcome.value}: {result.reason}")
        return reasons


@dataclass(frozen=True)
class Recipe:
    """A named list of steps and how an item that passed them all becomes a sample."""

    name: str
    kind: str  # "anneal" or "sft": which training stage the samples feed
    steps: tuple[Step, ...]
    sample: Callable[[Item, SynthContext], dict[str, Any]]  # -> {"messages": [...], optionally "text": ...}
    needs_teacher: bool = True

    @property
    def step_names(self) -> list[str]:
        return [step.name for step in self.steps] + [DEDUP_STEP, DECONTAM_STEP]


def _repair(path: Path) -> list[dict[str, Any]]:
    """The records of a JSONL file this pipeline wrote; a torn last line (a killed run) is cut off."""
    if not path.exists():
        return []
    data = path.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        log.warning("%s: cut a torn last line (%d bytes) left by a killed run", path, len(data) - end)
        with path.open("rb+") as fh:
            fh.truncate(end)
    return [orjson.loads(line) for line in data[:end].splitlines() if line.strip()]


def _append(path: Path, records: Sequence[dict[str, Any]]) -> None:
    if not records:
        return
    with path.open("ab") as fh:
        fh.write(b"".join(orjson.dumps(r) + b"\n" for r in records))
        fh.flush()
        os.fsync(fh.fileno())


def _rejection(item: Item, recipe: Recipe, step: str, reason: str) -> dict[str, Any]:
    answers = {k: v for k, v in item.fields.items() if isinstance(v, str) and not k.endswith("_prompt")}
    return {"seed_id": item.seed.id, "recipe": recipe.name, "step": step, "reason": reason,
            "fields": answers, "seconds": item.seconds}  # fmt: skip


def sample_text(sample: dict[str, Any]) -> str:
    """The text dedup and decontamination look at: the document, or the conversation's turns."""
    return sample.get("text") or "\n".join(m["content"] for m in sample["messages"])


def run_synth(
    recipe: Recipe,
    seeds: Sequence[Seed],
    out: str | Path,
    ctx: SynthContext,
    chunk_size: int = 32,
    dedup_threshold: float = 0.8,
) -> dict[str, Any]:
    """Synthesize from every seed not yet finished in `out`; returns (and writes to out/synth.json) the yield of
    every step over the whole folder, resumed runs included."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    kept_path, rejected_path = out / "samples.jsonl", out / "rejected.jsonl"
    kept, rejected = _repair(kept_path), _repair(rejected_path)
    kept_path.touch()  # both files exist even when empty, so that readers need no special case
    rejected_path.touch()
    done = {r["seed_id"] for r in kept} | {r["seed_id"] for r in rejected}
    dedup = NearDedup(dedup_threshold)
    for record in kept:
        dedup.add(record["seed_id"], sample_text(record))
    decontam = Decontaminator(out, sft=recipe.kind == "sft")
    todo = [seed for seed in seeds if seed.id not in done]
    log.info("%s: %d seeds, %d already done, %d to go", recipe.name, len(seeds), len(seeds) - len(todo), len(todo))
    started = time.monotonic()
    for first in range(0, len(todo), chunk_size):
        chunk = [Item(seed) for seed in todo[first : first + chunk_size]]
        new_rejected: list[dict[str, Any]] = []
        live = chunk
        for step in recipe.steps:
            if not live:
                break
            t0 = time.monotonic()
            reasons = step.run(live, ctx)
            share = (time.monotonic() - t0) / len(live)
            going = []
            for item, reason in zip(live, reasons, strict=True):
                item.seconds[step.name] = round(share, 3)
                if reason is None:
                    going.append(item)
                else:
                    new_rejected.append(_rejection(item, recipe, step.name, reason))
            live = going
        samples = []
        for item in live:
            sample = {**recipe.sample(item, ctx), "seed_id": item.seed.id, "recipe": recipe.name,
                      "kind": recipe.kind, "generator": ctx.generator,
                      "validation": item.fields.get("validation"), "timings": item.seconds}  # fmt: skip
            twin = dedup.add(item.seed.id, sample_text(sample))
            if twin is not None:
                new_rejected.append(_rejection(item, recipe, DEDUP_STEP, f"near-duplicate of seed {twin}"))
            else:
                samples.append((item, sample))
        verdicts = decontam.check([sample_text(s) for _, s in samples])
        new_kept = []
        for (item, sample), verdict in zip(samples, verdicts, strict=True):
            if verdict is None:
                new_kept.append(sample)
            else:
                new_rejected.append(_rejection(item, recipe, DECONTAM_STEP, verdict))
        _append(rejected_path, new_rejected)
        _append(kept_path, new_kept)
        kept += new_kept
        rejected += new_rejected
        log.info("%s: %d/%d seeds done, %d kept", recipe.name, first + len(chunk), len(todo), len(kept))
    stats = yield_stats(recipe, kept, rejected, decontam.note)
    previous = _read_stats(out / "synth.json")
    stats["wall_s"] = round(previous.get("wall_s", 0.0) + time.monotonic() - started, 3)
    stats["samples_per_hour"] = round(3600 * len(kept) / stats["wall_s"], 1) if stats["wall_s"] else None
    stats["generator"] = ctx.generator
    stats["cache"] = {"hits": getattr(ctx.backend, "hits", 0), "misses": getattr(ctx.backend, "misses", 0)}
    write_json_atomic(out / "synth.json", stats)
    return stats


def _read_stats(path: Path) -> dict[str, Any]:
    return orjson.loads(path.read_bytes()) if path.exists() else {}


def yield_stats(
    recipe: Recipe, kept: Sequence[dict[str, Any]], rejected: Sequence[dict[str, Any]], decontam_note: str
) -> dict[str, Any]:
    """Per step: seeds that reached it, passed it and stopped there with their top reasons."""
    total = len(kept) + len(rejected)
    steps = []
    reached = total
    for name in recipe.step_names:
        here = [r for r in rejected if r["step"] == name]
        reasons: dict[str, int] = {}
        for r in here:
            reasons[r["reason"][:120]] = reasons.get(r["reason"][:120], 0) + 1
        top = dict(sorted(reasons.items(), key=lambda kv: -kv[1])[:5])
        steps.append({"step": name, "in": reached, "passed": reached - len(here), "rejected": len(here),
                      "reasons": top})  # fmt: skip
        reached -= len(here)
    return {"recipe": recipe.name, "kind": recipe.kind, "seeds": total, "kept": len(kept),
            "rejected": len(rejected), "steps": steps, "decontamination": decontam_note}  # fmt: skip
