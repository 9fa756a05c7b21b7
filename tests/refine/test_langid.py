"""Language ID from the RefineCode tables: file name first, then extension (as written, then lower case)."""

from __future__ import annotations

import pyarrow as pa

from opencoder.refine.langid import LangId, language_tables


def _identify(paths, compat="fixed", given=None):
    lang, kind = LangId(compat).identify(pa.array(paths, pa.string()), given)
    return list(zip(lang.to_pylist(), kind.to_pylist(), strict=True))


def test_file_name_beats_extension_and_case_rules():
    assert _identify(["proj/CMakeLists.txt", "a/b.py", "x.PY", "lib.C", "lib.c", "doc/README.md"]) == [
        ("cmake", "code"),
        ("python", "code"),
        ("python", "code"),
        ("cpp", "code"),
        ("c", "code"),
        ("markdown", "text"),
    ]


def test_unknown_and_excluded():
    assert _identify(["LICENSE.unknownext", None, "data.csv", "icon.svg"]) == [
        (None, "unknown"),
        (None, "unknown"),
        ("csv", "excluded"),
        ("svg", "excluded"),
    ]


def test_gerber_is_excluded_unless_reproducing_the_released_bug():
    ext = next(e for e, lang in language_tables()["extension_to_language"].items() if lang == "gerber image")
    assert _identify([f"board.{ext}"])[0][1] == "excluded"
    assert _identify([f"board.{ext}"], compat="opc")[0][1] == "data"


def test_inputs_own_language_is_the_last_resort():
    assert _identify([None, "a.py"], given=pa.array(["Python", "rust"])) == [
        ("python", "code"),
        ("python", "code"),
    ]


def test_process_removes_with_reason():
    batch = pa.table(
        {
            "id": ["1", "2", "3"],
            "path": ["a.py", "b.csv", "c.zzz"],
            "lang": pa.nulls(3, pa.string()),
            "doc_type": pa.nulls(3, pa.string()),
        }
    )
    res = LangId().process(batch)
    assert res.kept.column("id").to_pylist() == ["1"]
    assert res.removed.column("reason").to_pylist() == ["excluded", "unknown"]
    assert res.counters == {"type_code": 1}
