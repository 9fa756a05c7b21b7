"""Compute every applicable signal for a batch of documents, each signal under a timeout.

Which signals run (SPEC §1.5.2 Stage A): ``code`` and ``data`` documents get the 33 ``qsc_code_*`` signals
plus their language's module; ``text`` documents get the 32 ``qsc_doc_*``; ``unknown``/``excluded`` get none.
Shared work (lines, words, n-grams, the comment split) is computed once per document, inside whichever signal
asks first, and counts against that signal's timeout.

A signal that runs past its timeout (default 10 s as released) or raises marks its document as failed: the
caller removes it with reason ``signal_timeout`` or ``signal_error``, the signal's name in ``detail``.
Arming a timer around each of the ~65 signals of a document cost more than many signals themselves, so
``run`` arms one periodic SIGALRM for the whole batch instead: each tick checks how long the running signal
has been going (one clock read per signal) and stops it once past its budget, at most a quarter of the budget
late.
Unlike the released code, one failure never leaves a document half-computed and silently kept.
"""

from __future__ import annotations

import signal
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field

from opencoder.engine.recipe import Recipe, StageSpec, parse_recipe
from opencoder.engine.registry import register_stage
from opencoder.engine.stage import StageContext, StageResult, make_removed
from opencoder.refine.signals import LANGUAGE_SIGNAL_NAMES, code, doc, language_module
from opencoder.refine.signals.document import CodeDocument

Value = float | int | bool | None
# Every signal column, in a fixed order: 32 doc, 33 code, 53 language-specific.
SIGNAL_NAMES: tuple[str, ...] = (
    *doc.SIGNALS,
    *code.SIGNALS,
    *(name for names in LANGUAGE_SIGNAL_NAMES.values() for name in names),
)
SIGNALS_STRUCT = pa.struct([(name, pa.float64()) for name in SIGNAL_NAMES])
PRECISION = 8  # decimals kept, as released


class SignalTimeout(BaseException):
    """Raised inside a signal by SIGALRM past its budget; ``except Exception`` lets it by."""


@dataclass
class DocumentSignals:
    """The outcome for one document: its values, or why it failed."""

    values: dict[str, float | None]
    reason: str | None = None  # "signal_timeout" | "signal_error" | None (success)
    detail: str | None = None  # the failing signal and its error


@dataclass
class BatchSignals:
    """The outcome for a batch: a signals table for the successes and the failures by row index."""

    table: pa.Table  # id, nl_lang, one float64 column per signal (null where not applicable)
    ok: list[bool]  # per input row: signals computed
    reasons: dict[int, tuple[str, str]]  # failed row -> (reason, detail)
    seconds: dict[str, float] = field(default_factory=dict)  # time per signal family ("doc", "code", "python")


Unit = tuple[str, str, Callable[[CodeDocument], object]]


def signal_units(doc_type: str, lang: str) -> tuple[Unit, ...]:
    """(family, name, function) for every signal that applies to a document of this type and (lower-case)
    language; a ``compute`` module is one unit."""
    if doc_type == "text":
        return tuple(("doc", name, fn) for name, fn in doc.SIGNALS.items())
    if doc_type not in ("code", "data"):
        return ()
    units = [("code", name, fn) for name, fn in code.SIGNALS.items()]
    module = language_module(lang)
    if module is not None:
        if hasattr(module, "SIGNALS"):
            units += [(lang, name, fn) for name, fn in module.SIGNALS.items()]
        else:
            units.append((lang, f"{lang}.compute", module.compute))
    return tuple(units)


TICKS_PER_BUDGET = 4  # watchdog ticks per timeout: a signal is stopped at most timeout_s / 4 late


class SignalRunner:
    """Computes signals for documents; ``timeout_s`` bounds each signal (each language ``compute``)."""

    def __init__(self, compat: str = "fixed", timeout_s: float = 10.0) -> None:
        self.compat = compat
        self.timeout_s = timeout_s
        self.seconds: dict[str, float] = defaultdict(float)
        self._started: float | None = None  # time.monotonic() when the running signal began, None between
        self._units: dict[tuple[str, str], tuple[Unit, ...]] = {}  # signal_units by (doc_type, lang), once each

    def _on_tick(self, signum: int, frame: object) -> None:
        started = self._started
        if started is not None and time.monotonic() - started >= self.timeout_s:
            raise SignalTimeout

    @contextmanager
    def _watchdog(self) -> Iterator[None]:
        """A periodic SIGALRM for the duration (main thread only: elsewhere signals run without a timeout)."""
        if threading.current_thread() is not threading.main_thread() or not hasattr(signal, "setitimer"):
            yield
            return
        previous = signal.signal(signal.SIGALRM, self._on_tick)
        tick = self.timeout_s / TICKS_PER_BUDGET
        signal.setitimer(signal.ITIMER_REAL, tick, tick)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def compute(self, document: CodeDocument) -> DocumentSignals:
        """All applicable signals of one document (under the timeout when called inside ``run``)."""
        values: dict[str, float | None] = {}
        family, name = "", ""
        clock = time.process_time()  # CPU time is read once per family, not per signal
        try:
            key = (document.doc_type, document.lang)
            units = self._units.get(key)
            if units is None:
                units = self._units[key] = signal_units(*key)
            for unit_family, name, fn in units:
                if unit_family != family:
                    now = time.process_time()
                    if family:
                        self.seconds[family] += now - clock
                    family, clock = unit_family, now
                self._started = time.monotonic()
                result = fn(document)
                if isinstance(result, dict):
                    values.update({k: _as_float(v) for k, v in result.items()})
                else:
                    values[name] = _as_float(result)
        except SignalTimeout:
            self._started = None  # at once, not in finally: a later tick would raise again inside this handler
            return DocumentSignals(values, "signal_timeout", f"{name} ran over {self.timeout_s:g} s")
        except Exception as err:  # a bug or a pathological input: record it, never lose the document
            self._started = None
            return DocumentSignals(values, "signal_error", f"{name}: {type(err).__name__}: {err}"[:500])
        finally:
            self._started = None
            if family:
                self.seconds[family] += time.process_time() - clock
        return DocumentSignals(values)

    def run(self, batch: pa.Table) -> BatchSignals:
        """Signals for every row of ``batch`` (DOC_SCHEMA columns; ``nl_lang`` used when present)."""
        n = batch.num_rows
        columns = {
            name: batch.column(name).to_pylist() if name in batch.column_names else [None] * n for name in _INPUTS
        }
        ids: list[str] = []
        nl_langs: list[str | None] = []
        values: list[dict[str, float | None]] = []
        ok: list[bool] = []
        reasons: dict[int, tuple[str, str]] = {}
        before = dict(self.seconds)
        with self._watchdog():
            for i in range(n):
                document = CodeDocument(
                    columns["text"][i] or "",
                    lang=columns["lang"][i] or "",
                    doc_type=columns["doc_type"][i] or "unknown",
                    path=columns["path"][i] or "",
                    size=columns["size"][i],
                    nl_lang=columns["nl_lang"][i],
                    compat=self.compat,
                )
                outcome = self.compute(document)
                ok.append(outcome.reason is None)
                if outcome.reason is not None:
                    reasons[i] = (outcome.reason, outcome.detail or "")
                    continue
                ids.append(columns["id"][i])
                nl_langs.append(document.nl_lang if document.doc_type == "text" else None)
                values.append(outcome.values)
        signal_columns = pa.array(values, SIGNALS_STRUCT).flatten()  # one C++ pass; a signal a document lacks: null
        table = pa.Table.from_arrays(
            [pa.array(ids, pa.string()), pa.array(nl_langs, pa.string()), *signal_columns],
            names=["id", "nl_lang", *SIGNAL_NAMES],
        )
        seconds = {k: v - before.get(k, 0.0) for k, v in self.seconds.items()}
        return BatchSignals(table, ok, reasons, seconds)


_INPUTS = ("id", "text", "lang", "doc_type", "path", "size", "nl_lang")


def _as_float(value: Value) -> float | None:
    """Signals are stored as float64 (booleans as 1.0/0.0), rounded to 8 decimals."""
    if value is None:
        return None
    if type(value) is float:
        return round(value, PRECISION)
    return float(value) if type(value) in (int, bool) else round(float(value), PRECISION)  # counts need no rounding


# ------------------------------------------------------------------------------------------- the signals stage


class SignalsParams(BaseModel):
    """Parameters of the ``signals`` stage."""

    model_config = ConfigDict(extra="forbid")

    timeout_s: float = Field(10.0, gt=0, description="budget of each signal per document (released: 10 s)")


class SignalsStage:
    """Adds the 118 signal columns (and ``nl_lang``) to the kept rows and writes them to RUN_DIR/signals/.

    The filter stage reads and drops those columns. Documents whose signals failed are removed here with
    reason ``signal_timeout`` or ``signal_error``.
    """

    name = "signals"

    def __init__(self, compat: str = "fixed", timeout_s: float = 10.0) -> None:
        self.runner = SignalRunner(compat, timeout_s)

    def process(self, batch: pa.Table) -> StageResult:
        out = self.runner.run(batch)
        ok = pa.array(out.ok, pa.bool_())
        failed = sorted(out.reasons)
        removed = make_removed(
            batch.filter(pc.invert(ok)),
            self.name,
            [out.reasons[i][0] for i in failed],
            detail=[out.reasons[i][1] for i in failed],
        )
        kept = batch.filter(ok)
        # nl_lang and the signals, after the batch's columns (a stale one dropped), joined in one step: added one
        # by one, each step would copy the schema and read column_names, a list built anew on every read
        added = out.table.drop_columns(["id"])
        kept = kept.drop_columns(sorted(set(kept.column_names) & set(added.column_names)))
        schema = pa.schema([*kept.schema, *added.schema])
        kept = pa.Table.from_arrays([*kept.columns, *added.columns], schema=schema)
        counters = {f"ms_{family}": round(seconds * 1000) for family, seconds in out.seconds.items()}
        for reason, _ in out.reasons.values():
            counters[reason] = counters.get(reason, 0) + 1
        return StageResult(kept, removed, counters, {"signals": out.table})


def signals_recipe(recipe: Recipe) -> Recipe:
    """``opencoder signals``: the recipe's settings with only langid, signals and filter (their params kept)."""
    given = {s.name: s for s in recipe.enabled_stages()}
    stages = [given.get(name, StageSpec(name=name)) for name in ("langid", "signals", "filter")]
    return parse_recipe({**recipe.model_dump(mode="json"), "stages": [s.model_dump() for s in stages]})


@register_stage("signals", params=SignalsParams, provides=("signals",))
def build_signals(params: SignalsParams, ctx: StageContext) -> SignalsStage:
    return SignalsStage(ctx.compat, params.timeout_s)
