"""The batch runner: which signals run, nulls where a signal does not apply, timeouts, errors, bad input."""

import pyarrow as pa
import pytest

from opencoder.refine.signals import code as code_signals
from opencoder.refine.signals.runner import SIGNAL_NAMES, SignalRunner


def batch(*rows: dict) -> pa.Table:
    base = {"id": None, "text": "", "path": "f", "lang": "python", "doc_type": "code", "size": None}
    rows = [{**base, "id": str(i), **row} for i, row in enumerate(rows)]
    return pa.Table.from_pylist(rows)


def test_columns_are_every_signal_and_null_where_not_applicable():
    out = SignalRunner().run(batch({"text": "x = 1\n" * 12}, {"text": "Some words here.\n", "doc_type": "text"}))
    assert out.table.column_names == ["id", "nl_lang", *SIGNAL_NAMES]
    assert len(SIGNAL_NAMES) == 118 and len(set(SIGNAL_NAMES)) == 118
    code_row, text_row = out.table.to_pylist()
    assert code_row["qsc_code_num_lines"] == 12 and code_row["qsc_doc_num_lines"] is None
    assert text_row["qsc_doc_num_lines"] == 1 and text_row["qsc_code_num_lines"] is None
    assert code_row["qsc_codejava_frac_lines_print"] is None  # another language's signal
    assert text_row["nl_lang"] == "en"
    assert out.ok == [True, True]


def test_unknown_documents_get_no_signals():
    out = SignalRunner().run(batch({"text": "abc", "doc_type": "unknown"}))
    row = out.table.to_pylist()[0]
    assert all(row[name] is None for name in SIGNAL_NAMES)


def test_values_are_rounded_to_8_decimals():
    out = SignalRunner().run(batch({"text": "a\nb\nc\n", "lang": "text", "doc_type": "text"}))
    # 3 newlines of 6 characters
    assert out.table.column("qsc_doc_frac_chars_whitespace")[0].as_py() == round(3 / 6, 8)
    out = SignalRunner().run(batch({"text": "ab\nc\n", "doc_type": "text"}))
    assert out.table.column("qsc_doc_frac_chars_alphabet")[0].as_py() == 1.0


def test_a_signal_past_its_timeout_removes_the_document_with_a_reason(monkeypatch):
    def catastrophic(doc):  # nested quantifiers backtrack exponentially on "aaaa...!"
        import re

        return bool(re.match(r"(a+)+$", doc.text))

    monkeypatch.setitem(code_signals.SIGNALS, "qsc_code_cate_xml_start", catastrophic)
    out = SignalRunner(timeout_s=0.2).run(batch({"text": "a" * 40 + "!"}, {"text": "x = 1\n"}))
    assert out.ok == [False, True]
    assert out.reasons[0][0] == "signal_timeout"
    assert "qsc_code_cate_xml_start" in out.reasons[0][1]
    assert out.table.column("id").to_pylist() == ["1"]


def test_a_signal_that_raises_removes_the_document_with_the_error(monkeypatch):
    def broken(doc):
        raise ValueError("boom")

    monkeypatch.setitem(code_signals.SIGNALS, "qsc_code_cate_xml_start", broken)
    out = SignalRunner().run(batch({"text": "x"}))
    assert out.ok == [False]
    assert out.reasons[0] == ("signal_error", "qsc_code_cate_xml_start: ValueError: boom")


@pytest.mark.parametrize(
    "text",
    [
        "",  # empty file
        "x" * 3_000_000,  # a single 3 MB line
        "a\x00b\x00\n" * 20,  # NUL bytes
        "{" * 5000 + "}" * 5000,  # deeply nested
        "\ufffd" * 100,  # decoding damage
    ],
    ids=["empty", "3MB-line", "nul", "nested", "replacement"],
)
def test_bad_input_gets_signals_and_no_crash(text):
    out = SignalRunner().run(batch({"text": text}, {"text": text, "lang": "c"}, {"text": text, "doc_type": "text"}))
    assert out.ok == [True, True, True]
    assert out.table.column("qsc_code_num_chars")[0].as_py() == len(text)


def test_invalid_surrogates_in_a_python_string_are_handled():
    from opencoder.refine.signals.document import CodeDocument

    doc = CodeDocument("x = '\udcff'\n", lang="python")
    outcome = SignalRunner().compute(doc)
    assert outcome.reason is None
    # 8 characters: 7 ASCII bytes + the lone surrogate kept as 3 bytes (surrogatepass)
    assert outcome.values["qsc_code_size_file_byte"] == 10


def test_a_timeout_names_the_signal_that_was_running_and_spares_the_next_document(monkeypatch):
    import time

    def slow(doc):  # pure Python, interruptible: only the first document is slow
        deadline = time.monotonic() + (5 if doc.text.startswith("slow") else 0)
        while time.monotonic() < deadline:
            pass
        return 0.0

    monkeypatch.setitem(code_signals.SIGNALS, "qsc_code_frac_lines_assert", slow)
    runner = SignalRunner(timeout_s=0.3)
    started = time.monotonic()
    out = runner.run(batch({"text": "slow\n"}, {"text": "fast\n"}, {"text": "fast too\n"}))
    assert time.monotonic() - started < 2  # stopped within its budget plus a tick, not after 5 s
    assert out.ok == [False, True, True]
    assert out.reasons[0] == ("signal_timeout", "qsc_code_frac_lines_assert ran over 0.3 s")
    assert set(out.seconds) == {"code", "python"}  # CPU time per family, no stray keys
