"""Per-task stats and the run manifest: counts per stage (in = kept + removed, asserted), versions."""

from __future__ import annotations

import itertools
import os
import platform
import re
import sys
from collections.abc import Iterable
from typing import Any

from opencoder.errors import OpencoderError

VERSIONED = ("opencoder", "pyarrow", "numpy", "pydantic", "typer", "orjson", "zstandard", "xxhash", "rensa")


def package_versions() -> dict[str, str]:
    """Python, the platform and the installed versions of the packages that shape the outputs (absent ones are
    left out). Read from the ``<name>-<version>.dist-info`` folders on ``sys.path``, where ``importlib.metadata``
    finds them too, without importing its e-mail parser (a tenth of a CPU second, every run)."""
    out = {"python": sys.version.split()[0], "platform": platform.platform()}
    found: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            m = _DIST_INFO.fullmatch(name)
            if m:
                found.setdefault(_normalized(m["name"]), m["version"])
    out.update({name: found[_normalized(name)] for name in VERSIONED if _normalized(name) in found})
    return out


_DIST_INFO = re.compile(r"(?P<name>[^-]+)-(?P<version>[^-]+)\.dist-info")


def _normalized(name: str) -> str:
    """A distribution name as its folder spells it (PEP 503 style: ``-``, ``_``, ``.`` alike, any case)."""
    return re.sub(r"[-_.]+", "_", name).lower()


class StageCounts:
    """Counts of one stage inside one task, filled batch by batch."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.n_in = self.kept = self.removed = 0
        self.seconds = 0.0
        self.reasons: dict[str, int] = {}
        self.counters: dict[str, int] = {}

    def add(self, n_in: int, kept: int, reasons: Iterable[str], counters: dict[str, int], seconds: float) -> None:
        reasons = list(reasons)
        if n_in != kept + len(reasons):
            raise AssertionError(f"stage {self.name}: {n_in} documents in, {kept} kept + {len(reasons)} removed")
        self.n_in += n_in
        self.kept += kept
        self.removed += len(reasons)
        self.seconds += seconds
        for r in reasons:
            self.reasons[r] = self.reasons.get(r, 0) + 1
        for k, v in counters.items():
            self.counters[k] = self.counters.get(k, 0) + v

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "in": self.n_in,
            "kept": self.kept,
            "removed": self.removed,
            "reasons": self.reasons,
            "counters": self.counters,
            "seconds": round(self.seconds, 4),
        }


def merge_stage_stats(task_stats: Iterable[list[dict[str, Any]]], order: list[str]) -> list[dict[str, Any]]:
    """Sum the tasks' per-stage stats into one entry per stage, in ``order``; checks the accounting chain."""
    total = {
        name: {"name": name, "in": 0, "kept": 0, "removed": 0, "reasons": {}, "counters": {}, "seconds": 0.0}
        for name in order
    }
    for stages in task_stats:
        for s in stages:
            t = total[s["name"]]
            for key in ("in", "kept", "removed", "seconds"):
                t[key] += s[key]
            for key in ("reasons", "counters"):
                for k, v in s[key].items():
                    t[key][k] = t[key].get(k, 0) + v
    merged = [total[name] for name in order]
    for prev, cur in itertools.pairwise(merged):
        if cur["in"] != prev["kept"]:
            raise OpencoderError(f"accounting: {prev['name']} kept {prev['kept']} but {cur['name']} got {cur['in']}")
    for s in merged:
        s["seconds"] = round(s["seconds"], 3)
        if s["in"] != s["kept"] + s["removed"]:
            raise OpencoderError(f"accounting: stage {s['name']}: in {s['in']} != kept + removed")
    return merged
