"""The transform and sample row stages on real-shaped batches: accounting, counters, lineage, determinism."""

import hashlib
import math
import re
import sys

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pii_positives import CONFIG_POSITIVES, POSITIVES

from opencoder.engine.registry import stage_entry
from opencoder.engine.stage import StageContext
from opencoder.io.schema import DOC_SCHEMA, REMOVED_SCHEMA
from opencoder.refine.pii import NAME_CHAR, Rewriter
from opencoder.refine.sample import PAPER_KEEP, SampleParams, SampleStage
from opencoder.refine.signals.runner import SignalsParams, build_signals
from opencoder.refine.transform import TransformParams, TransformStage


def batch(texts: list[str], langs: list[str], ids: list[str] | None = None) -> pa.Table:
    ids = ids or [f"doc{i}" for i in range(len(texts))]
    columns = {"id": ids, "text": texts, "lang": langs}
    return pa.table({f.name: pa.array(columns.get(f.name, [None] * len(texts)), f.type) for f in DOC_SCHEMA})


TEXTS = [
    "# Copyright 2020 Jane Roe\n\nimport os\nHOST = '8.8.8.8'  # mail jane@gmail.com\n",
    "int main(void) { return 0; }\n",
    "// Copyright (c) 2019 ACME\n",  # only a notice: becomes empty
    "",
]


def test_transform_rewrites_counts_and_keeps_lineage():
    result = TransformStage().process(batch(TEXTS, ["python", "c", "c", "c"]))
    assert result.kept.num_rows + result.removed.num_rows == 4
    assert result.kept.column("text").to_pylist() == [
        "import os\nHOST = '<IP_ADDRESS>'  # mail <EMAIL>\n",
        TEXTS[1],
        "",
    ]
    assert result.kept.column("original_sha256").to_pylist() == [
        hashlib.sha256(TEXTS[i].encode()).hexdigest() for i in (0, 1, 3)
    ]
    assert result.removed.schema == REMOVED_SCHEMA
    assert result.removed.column("reason").to_pylist() == ["empty_after_transform"]
    assert result.removed.column("text").to_pylist() == [TEXTS[2]]  # removed rows keep the original text
    assert result.counters == {
        "copyright_headers": 2,
        "pii_ip_address": 1,
        "pii_email": 1,
        "docs_rewritten": 2,
        "empty_after_transform": 1,
    }


def test_transform_is_idempotent_and_keeps_the_first_hash():
    first = TransformStage().process(batch(TEXTS[:2], ["python", "c"])).kept
    second = TransformStage().process(first)
    assert second.kept.column("text").equals(first.column("text"))
    assert second.kept.column("original_sha256").equals(first.column("original_sha256"))
    assert second.counters["docs_rewritten"] == 0


def test_transform_switches():
    result = TransformStage(TransformParams(copyright=False, pii=False)).process(batch(TEXTS[:1], ["python"]))
    assert result.kept.column("text").to_pylist() == TEXTS[:1]
    with pytest.raises(ValueError, match="colour"):
        TransformParams(colour=True)


def test_sample_is_deterministic_and_close_to_the_rate():
    n = 4000
    langs = ["java", "html", "python", "Java"] * (n // 4)
    table = batch(["x"] * n, langs, [f"repo/file{i}.txt" for i in range(n)])
    result = SampleStage(seed=42).process(table)
    again = SampleStage(seed=42).process(table)
    assert result.kept.column("id").equals(again.kept.column("id"))
    assert result.kept.num_rows + result.removed.num_rows == n
    assert set(result.removed.column("reason").to_pylist()) == {"downsampled"}
    kept = result.kept.column("lang").to_pylist()
    assert kept.count("python") == n // 4  # other languages untouched
    for lang, count in (("java", n // 2), ("html", n // 4)):  # "Java" counts as java
        p = PAPER_KEEP[lang]
        got = sum(k.lower() == lang for k in kept)
        assert abs(got - p * count) < 4 * math.sqrt(count * p * (1 - p)), (lang, got)
    other_seed = SampleStage(seed=7).process(table).kept.column("id")
    assert not other_seed.equals(result.kept.column("id"))


def test_sample_params():
    result = SampleStage(SampleParams(keep={"python": 0.0}), seed=1).process(batch(["a", "b"], ["python", "java"]))
    assert result.kept.column("lang").to_pylist() == ["java"]
    assert result.counters == {"downsampled_python": 1}
    with pytest.raises(ValueError, match=r"sample\.keep\.go"):
        SampleParams(keep={"go": 1.5})


@pytest.mark.parametrize(("texts", "lang"), [(POSITIVES, "python"), (CONFIG_POSITIVES, "yaml")])
def test_pre_checks_let_every_positive_through(texts, lang):
    """The per-step RE2 gates may only skip texts the step would leave unchanged."""
    result = TransformStage().process(batch(texts, [lang] * len(texts)))
    expected = [Rewriter().redact(text, lang=lang) for text in texts]
    assert result.kept.column("text").to_pylist() == expected
    assert all(new != old for new, old in zip(expected, texts, strict=True))


def test_pathological_texts_finish_and_keep_accounting():
    texts = [
        "password" * 200_000 + '="x"',  # a 1.6 MB run of keywords: linear, not quadratic
        "a" * 3_000_000,  # one 3 MB line
        "x@" * 100_000 + "a.com",
        "1." * 200_000,
        "\0" * 1000 + "password = 'nul'",
    ]
    result = TransformStage().process(batch(texts, ["python"] * len(texts)))
    assert result.kept.num_rows == len(texts) and result.removed.num_rows == 0
    assert result.kept.column("text").to_pylist()[4] == "\0" * 1000 + "password = '<PASSWORD>'"


# Pieces of texts: secrets of each kind, near misses, line breaks, a private key block's edges, non-ASCII
FRAGMENTS = [
    *POSITIVES,
    *TEXTS,
    "password: hunter2",
    "  - db_pass: s3cr3t ; note",
    "export API_TOKEN=a8F3kd92LmQ0zX7pR4tY6wE1",
    "version 1.2.3.4",
    "2001:4860:4860::8888",
    "-----BEGIN RSA PRIVATE KEY-----",
    "-----END RSA PRIVATE KEY-----",
    "key",
    "pass",
    " = '",
    '"',
    "@",
    "é",
    "ſ",  # matches "s" when ignoring case, in re and RE2 alike
    "٨.٨.٨.٨",
    "\n",
    "\r\n",
    " ",
    "x = 1",
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.lists(st.sampled_from(FRAGMENTS), max_size=12).map("".join), min_size=1, max_size=6),
    st.sampled_from(["python", "yaml", "shell", "ini"]),
)
def test_redacting_the_lines_the_gates_pick_equals_redacting_each_whole_text(texts, lang):
    result = TransformStage(TransformParams(copyright=False)).process(batch(texts, [lang] * len(texts)))
    rewriter = Rewriter()
    expected = [rewriter.redact(text, lang=lang) for text in texts]
    assert result.kept.column("text").to_pylist() == expected  # placeholders never leave a text blank
    assert {k: v for k, v in result.counters.items() if k.startswith("pii_")} == dict(rewriter.counts)


def test_the_gates_take_every_name_character_the_patterns_take():
    """RE2's ``\\w`` is ASCII only; the gates' name class must take all that Python's takes (a name like
    ``passwordé`` once slipped past the assignment gate)."""
    words = [chr(c) for c in range(sys.maxunicode + 1) if not 0xD800 <= c < 0xE000 and re.match(r"\w", chr(c))]
    assert pc.all(pc.match_substring_regex(pa.array(words), f"^{NAME_CHAR}$")).as_py()
    texts = ['passwordé = "hunter2"\n', "db_passé: hunter2\n"]
    result = TransformStage().process(batch(texts, ["yaml", "yaml"]))
    assert result.kept.column("text").to_pylist() == ['passwordé = "<PASSWORD>"\n', "db_passé: <PASSWORD>\n"]


def test_unquoted_config_values_go_through_the_stage_for_config_languages_only():
    text = "db:\n  password: hunter2\n"
    result = TransformStage().process(
        batch([text, text, "password: pw1\n" * 100_000 + "a" * 1_000_000], ["yaml", "python", "yaml"])
    )
    new = result.kept.column("text").to_pylist()
    assert new[:2] == ["db:\n  password: <PASSWORD>\n", text]
    assert new[2].count("<PASSWORD>") == 100_000
    assert result.counters["pii_password"] == 100_001


@pytest.mark.parametrize("name", ["transform", "signals", "filter", "sample"])
def test_a_batch_whose_rows_were_all_dropped_upstream_passes_through(name, tmp_path):
    """A task whose files langid dropped every one of hands the next stages an empty batch (a recipe without the
    dedup stages between did: the transform's untyped mask made pyarrow refuse to filter)."""
    ctx = StageContext(seed=1, run_dir=tmp_path, compat="fixed")
    empty = batch([], [])
    if name == "filter":  # it reads the signal columns
        empty = build_signals(SignalsParams(), ctx).process(empty).kept
    entry = stage_entry(name)
    result = entry.build(entry.params(), ctx).process(empty)
    assert result.kept.num_rows == result.removed.num_rows == 0
