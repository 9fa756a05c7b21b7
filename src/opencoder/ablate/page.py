"""The comparison page of an ablation: curves per variant, a summary, diversity, the recipes and the limits."""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import yaml

from opencoder.ablate.spec import AblationSpec

DIVERSITY_SAMPLE = 300  # kept documents per variant embedded for the diversity figure
SERIES_COLOURS = ("#4a7bd0", "#d0694a", "#3a9a5b", "#8a5ac2", "#c29a2a", "#2aa3b5", "#b54a8a", "#555555")
LIMITS = """\
<p><b>What this run can show.</b> Whether the variants' data differ in amount (documents and tokens kept) and in how
well a model trained on each predicts the same held-out code (and, with a task set, the same held-out answers),
under the same seed, model size and token budget; the data pipeline, training and evaluation paths of every variant
running end to end.</p>
<p><b>What it cannot show.</b> The paper's conclusions. Its ablations train 1.5B-parameter models on tens of billions
of tokens and compare HumanEval and MBPP pass@1; a tiny model trained for minutes on a few MB solves no benchmark
problem, so pass@1 is not measured here, and differences in held-out loss of a few hundredths are within the noise
of one seed. A lower held-out loss is not better code generation either: the paper's star-filtered model had the
lower training loss and the worse benchmark scores. The validation set is drawn from the same corpus before dedup,
so it rewards variants that keep duplicated content (its copies may sit in the validation set too). Read the
curves as a check that the experiment is wired correctly, and rerun the same file with a larger model, corpus and
budget (and HumanEval/MBPP through <code>opencoder eval</code>) on a GPU to test a claim.</p>
"""


@dataclass
class Curve:
    """Losses against the step counted from the start of pretraining, over all of a variant's stages."""

    steps: list[int] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    task_loss: list[float] = field(default_factory=list)  # empty without a task set
    train_steps: list[int] = field(default_factory=list)
    train_loss: list[float] = field(default_factory=list)
    boundaries: list[tuple[int, str]] = field(default_factory=list)  # (first step, stage) of each stage

    def extend(self, stage: str, other: Curve) -> None:
        """Append a later stage's curve, its steps shifted to follow this one's."""
        offset = self.train_steps[-1] if self.train_steps else 0
        self.boundaries.append((offset, stage))
        self.steps += [s + offset for s in other.steps]
        self.val_loss += other.val_loss
        self.task_loss += other.task_loss
        self.train_steps += [s + offset for s in other.train_steps]
        self.train_loss += other.train_loss


@dataclass
class VariantResult:
    name: str
    docs: int
    tokens: int
    curve: Curve
    epochs: float  # passes over the variant's pretraining data
    sample: list[str]  # texts of a sample of the kept documents, for the diversity figure


def _diversity(results: list[VariantResult], colours: dict[str, str]) -> str:
    """The variants' samples embedded together, on their two principal components, and each sample's spread."""
    from opencoder.report.diversity import embed, pca_2d, spread
    from opencoder.report.html import scatter_chart, table

    texts = [t for r in results for t in r.sample]
    if len(texts) < 2:
        return "<p>Too few documents to compare.</p>"
    rows = embed(texts)
    coords, explained = pca_2d(rows)
    bounds = np.cumsum([0] + [len(r.sample) for r in results])
    series = [
        (r.name, colours[r.name], coords[a:b, 0].tolist(), coords[a:b, 1].tolist())
        for r, a, b in zip(results, bounds[:-1], bounds[1:], strict=True)
    ]
    spreads = [
        [r.name, f"{len(r.sample):,}", f"{spread(rows[a:b]):.4f}"]
        for r, a, b in zip(results, bounds[:-1], bounds[1:], strict=True)
    ]
    return (
        f"<p>A sample of up to {DIVERSITY_SAMPLE} kept documents per variant, embedded as hashed code-token "
        "tf-idf vectors (a model-free stand-in for the paper's embeddings) and projected together on their first "
        f"two principal components ({100 * explained:.1f} % of the variance). Spread: mean squared distance to the "
        "sample's centroid in the full embedding space (higher: more diverse).</p>"
        + scatter_chart("PCA of the kept documents", series, width=560)
        + table(["variant", "documents", "spread"], spreads, (False, True, True))
    )


def _charts(spec: AblationSpec, results: list[VariantResult], colours: dict[str, str]) -> str:
    from opencoder.report.html import multi_line_chart

    def chart(title: str, xs: str, ys: str, thin: bool = False) -> str:
        series = []
        for r in results:
            x, y = getattr(r.curve, xs), getattr(r.curve, ys)
            every = max(1, len(x) // 200) if thin else 1
            series.append((r.name, colours[r.name], x[::every], y[::every]))
        return multi_line_chart(title, series, width=560)

    charts = chart("held-out loss vs step", "steps", "val_loss")
    if spec.task_validation:
        charts += chart(f"task answer loss vs step ({spec.task_validation})", "steps", "task_loss")
    return charts + chart("training loss vs step", "train_steps", "train_loss", thin=True)


def _stages_note(results: list[VariantResult]) -> str:
    from opencoder.report.html import esc

    staged = [r for r in results if r.curve.boundaries]
    if not staged:
        return ""
    items = "".join(
        f"<li>{esc(r.name)}: pretrain from step 0, "
        + ", ".join(f"{esc(stage)} from step {start}" for start, stage in r.curve.boundaries)
        + "</li>"
        for r in staged
    )
    return f"<p>Stages after pretraining continue the step count:</p><ul>{items}</ul>"


def render(spec: AblationSpec, results: list[VariantResult], seconds: float) -> str:
    """The comparison page: curves per variant, a summary table, the variants' recipes and the limits."""
    from opencoder.report.html import Section, esc, page, table

    colours = {r.name: SERIES_COLOURS[i % len(SERIES_COLOURS)] for i, r in enumerate(results)}
    base = min(r.curve.val_loss[-1] for r in results)
    header = ["variant", "documents", "tokens", "epochs", "final train loss", "held-out loss", "vs best", "perplexity"]
    rows = [
        [
            r.name,
            f"{r.docs:,}",
            f"{r.tokens:,}",
            f"{r.epochs:.2f}",
            f"{r.curve.train_loss[-1]:.4f}",
            f"{r.curve.val_loss[-1]:.4f}",
            f"{r.curve.val_loss[-1] - base:+.4f}",
            f"{math.exp(r.curve.val_loss[-1]):.1f}",
        ]
        + ([f"{r.curve.task_loss[-1]:.4f}"] if spec.task_validation else [])
        for r in results
    ]
    if spec.task_validation:
        header.append("task answer loss")
    summary = table(header, rows, (False,) + (True,) * (len(header) - 1))
    recipes = "".join(
        f"<h3>{esc(v.name)}</h3><pre>{esc(yaml.safe_dump(v.model_dump(exclude={'name'}), sort_keys=False))}</pre>"
        for v in spec.variants
    )
    setup = yaml.safe_dump(
        spec.model_dump(exclude={"variants", "name", "description"}), sort_keys=False, default_flow_style=None
    )
    sections = [
        Section("Curves", f"<p>{esc(spec.description)}</p>{_charts(spec, results, colours)}{_stages_note(results)}"),
        Section("Summary", summary + f"<p class='meta'>wall time {seconds:.0f} s</p>"),
        Section("Diversity", _diversity(results, colours)),
        Section("What a tiny CPU run can and cannot show", LIMITS),
        Section("Variants", recipes + f"<h3>Shared settings</h3><pre>{esc(setup)}</pre>"),
    ]
    return page(f"opencoder ablation: {spec.name}", "same seed, model, token budget and validation set", sections)
