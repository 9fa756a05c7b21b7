"""Filter rules as data: which signal, which condition, and (for the stochastic rules) a drop probability.

The 14 configs ship as YAML in ``refine/rules/`` with the released thresholds (SPEC §1.5.2). A rule is
``signal: {gt: 0.2}`` (also ``ge``, ``lt``, ``le``, ``eq``, ``outside: [lo, hi]`` = below lo or above hi) or
``null`` (off). A null signal value never hits, as released. ``drop_probability: p`` makes a rule hit only for
a share p of the documents that meet its condition, decided by a hash of (seed, rule, id): reruns and
distributed runs agree. No string is ever evaluated.

Config selection (SPEC Stage B): text documents use ``text-zh`` for Chinese, else ``text-en``; code and data
documents use their language's config when there is one, else ``data`` or ``others``; ``unknown`` and
``excluded`` documents are removed outright.
"""

from __future__ import annotations

from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import xxhash
import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from opencoder.engine.registry import register_stage
from opencoder.engine.stage import StageContext, StageResult, make_removed
from opencoder.errors import OpencoderError
from opencoder.refine.signals.runner import SIGNAL_NAMES

CONFIG_NAMES = (
    "others",
    "data",
    "shell",
    "sql",
    "python",
    "cpp",
    "c",
    "csharp",
    "go",
    "html",
    "java",
    "javascript",
    "text-en",
    "text-zh",
)
LANGUAGE_CONFIGS = frozenset(CONFIG_NAMES) - {"others", "data", "text-en", "text-zh"}
_OPERATORS = ("gt", "ge", "lt", "le", "eq", "outside")


class Rule(BaseModel):
    """One condition on one signal; exactly one operator."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    gt: float | None = None
    ge: float | None = None
    lt: float | None = None
    le: float | None = None
    eq: float | None = None  # YAML true/false compare as 1.0/0.0, as signals are stored
    outside: tuple[float, float] | None = None
    drop_probability: float = 1.0

    @model_validator(mode="after")
    def _one_operator(self) -> Rule:
        given = [op for op in _OPERATORS if getattr(self, op) is not None]
        if len(given) != 1:
            raise ValueError(f"a rule needs exactly one of {', '.join(_OPERATORS)}; got {given or 'none'}")
        if not 0.0 <= self.drop_probability <= 1.0:
            raise ValueError("drop_probability must be within [0, 1]")
        return self

    def meets(self, values: np.ndarray) -> np.ndarray:
        """Where the condition holds (NaN, i.e. a null signal, never does)."""
        with np.errstate(invalid="ignore"):
            if self.gt is not None:
                return values > self.gt
            if self.ge is not None:
                return values >= self.ge
            if self.lt is not None:
                return values < self.lt
            if self.le is not None:
                return values <= self.le
            if self.eq is not None:
                return values == self.eq
            lo, hi = self.outside  # type: ignore[misc]
            return (values < lo) | (values > hi)


RuleSet = dict[str, dict[str, Rule | None]]  # config -> signal -> rule (None: off)


def _parse_rules(raw: Any, where: str) -> dict[str, Rule | None]:
    if not isinstance(raw, Mapping):
        raise OpencoderError(f"{where}: expected a mapping of signal -> condition")
    rules: dict[str, Rule | None] = {}
    for signal, condition in raw.items():
        if signal not in SIGNAL_NAMES:
            raise OpencoderError(f"{where}: unknown signal {signal!r}")
        try:
            rules[signal] = None if condition is None else Rule.model_validate(condition)
        except ValidationError as err:
            first = err.errors()[0]
            raise OpencoderError(f"{where}: rule {signal}: {first['msg']}") from None
    return rules


def _read_yaml(path: Path | Any) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as err:
        raise OpencoderError(f"{path}: not valid YAML: {err}") from None


def default_rules() -> RuleSet:
    """The shipped configs (``refine/rules/<config>.yaml``)."""
    folder = resources.files("opencoder.refine").joinpath("rules")
    ruleset: RuleSet = {}
    for name in CONFIG_NAMES:
        data = _read_yaml(folder.joinpath(f"{name}.yaml"))
        ruleset[name] = _parse_rules(data.get("rules"), f"rules/{name}.yaml")
    return ruleset


def load_rules(path: str | Path | None = None) -> RuleSet:
    """The shipped configs, with a user file's rules laid over them.

    The user file maps config names to rules, e.g. ``{python: {qsc_codepython_frac_lines_pass: {gt: 0.1}}}``;
    a rule given as null switches it off; configs and rules not named keep their shipped values.
    """
    ruleset = default_rules()
    if path is None:
        return ruleset
    path = Path(path)
    if not path.is_file():
        raise OpencoderError(f"{path}: rules file not found")
    data = _read_yaml(path) or {}
    if not isinstance(data, Mapping):
        raise OpencoderError(f"{path}: expected a mapping of config name -> rules")
    for config, rules in data.items():
        if config not in ruleset:
            raise OpencoderError(f"{path}: unknown config {config!r} (known: {', '.join(CONFIG_NAMES)})")
        ruleset[config] = {**ruleset[config], **_parse_rules(rules, f"{path}: {config}")}
    return ruleset


def select_config(doc_type: str | None, lang: str | None, nl_lang: str | None) -> str | None:
    """The config that judges a document, or None for unknown/excluded documents."""
    if doc_type == "text":
        return "text-zh" if nl_lang == "zh" else "text-en"
    if doc_type in ("code", "data"):
        if lang in LANGUAGE_CONFIGS:
            return lang
        return "data" if doc_type == "data" else "others"
    return None


def stochastic_draw(ids: list[str], rule: str, seed: int) -> np.ndarray:
    """A uniform number in [0, 1) per document, fixed by (seed, rule, id)."""
    salt = rule.encode() + b"\0"
    return np.fromiter(
        (xxhash.xxh64_intdigest(salt + i.encode(), seed) for i in ids), dtype=np.float64, count=len(ids)
    ) / float(2**64)


def _values_or_nulls(table: pa.Table, name: str) -> list[Any]:
    return table.column(name).to_pylist() if name in table.column_names else [None] * table.num_rows


def apply_rules(table: pa.Table, ruleset: RuleSet, seed: int) -> tuple[list[str | None], list[list[str]]]:
    """Judge every row of ``table`` (id, doc_type, lang, nl_lang and the signal columns).

    A rule whose signal has no column is skipped. Returns per row the removal reason (None: kept; "rules";
    "doc_type") and the rules it hit.
    """
    n = table.num_rows
    ids = table.column("id").to_pylist()
    keys = zip(*(_values_or_nulls(table, name) for name in ("doc_type", "lang", "nl_lang")), strict=True)
    configs = np.array([select_config(*key) for key in keys], dtype=object)
    hits: list[list[str]] = [[] for _ in range(n)]
    reasons: list[str | None] = [None if c is not None else "doc_type" for c in configs]
    values: dict[str, np.ndarray] = {}
    present = set(table.column_names)  # a property that builds the list anew on every read
    for config in {c for c in configs if c is not None}:
        rows = np.flatnonzero(configs == config)
        for signal, rule in ruleset[config].items():
            if rule is None:
                continue
            if signal not in present:
                continue  # a signal that was not computed is skipped, as released
            if signal not in values:
                values[signal] = table.column(signal).to_numpy(zero_copy_only=False).astype(np.float64)
            met = rows[rule.meets(values[signal][rows])]
            if rule.drop_probability < 1.0 and len(met):
                draws = stochastic_draw([ids[i] for i in met], signal, seed)
                met = met[draws < rule.drop_probability]
            for i in met.tolist():
                hits[i].append(signal)
                reasons[i] = "rules"
    return reasons, hits


# -------------------------------------------------------------------------------------------- the filter stage


class FilterParams(BaseModel):
    """Parameters of the ``filter`` stage."""

    model_config = ConfigDict(extra="forbid")

    rules: str | None = Field(None, description="a YAML file of rules laid over the shipped configs")


def split_by_rules(batch: pa.Table, ruleset: RuleSet, seed: int, stage: str = "filter") -> StageResult:
    """Judge a batch that carries signal columns: kept rows (signal columns dropped) and removed rows."""
    reasons, hits = apply_rules(batch, ruleset, seed)
    drop = pa.array([r is not None for r in reasons], pa.bool_())
    gone = [i for i, r in enumerate(reasons) if r is not None]
    dropped = batch.filter(drop)
    removed = make_removed(
        dropped,
        stage,
        [reasons[i] for i in gone],
        rules=[hits[i] for i in gone],
        detail=[
            None if reasons[i] == "rules" else t
            for i, t in zip(gone, dropped.column("doc_type").to_pylist(), strict=True)
        ],
    )
    signal_columns = [c for c in batch.column_names if c in _SIGNAL_SET or c == "nl_lang"]
    kept = batch.filter(pc.invert(drop)).drop_columns(signal_columns)
    counters: dict[str, int] = {}
    for i in gone:
        for rule in hits[i]:
            counters[f"hit_{rule}"] = counters.get(f"hit_{rule}", 0) + 1
    return StageResult(kept, removed, counters)


_SIGNAL_SET = frozenset(SIGNAL_NAMES)


class FilterStage:
    """Removes the documents whose signals hit a rule of their config (``rules`` lists the hits)."""

    name = "filter"

    def __init__(self, ruleset: RuleSet, seed: int) -> None:
        self.ruleset = ruleset
        self.seed = seed

    def process(self, batch: pa.Table) -> StageResult:
        if batch.num_rows and not _SIGNAL_SET & set(batch.column_names):
            raise OpencoderError("the filter stage needs the signals stage before it in the recipe")
        return split_by_rules(batch, self.ruleset, self.seed, self.name)


@register_stage("filter", params=FilterParams, requires=("signals",))
def build_filter(params: FilterParams, ctx: StageContext) -> FilterStage:
    return FilterStage(load_rules(params.rules), ctx.seed)
