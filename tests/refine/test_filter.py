"""Rules as data: conditions, config selection, deterministic stochastic rules, user rule files."""

import numpy as np
import pyarrow as pa
import pytest

from opencoder.errors import OpencoderError
from opencoder.refine.filter import Rule, apply_rules, load_rules, select_config, stochastic_draw


def test_conditions_treat_null_as_not_hit():
    values = np.array([0.1, 0.5, 0.9, np.nan])
    assert Rule(gt=0.5).meets(values).tolist() == [False, False, True, False]
    assert Rule(ge=0.5).meets(values).tolist() == [False, True, True, False]
    assert Rule(lt=0.5).meets(values).tolist() == [True, False, False, False]
    assert Rule(le=0.5).meets(values).tolist() == [True, True, False, False]
    assert Rule(eq=True).meets(np.array([1.0, 0.0, np.nan])).tolist() == [True, False, False]
    assert Rule(outside=(0.2, 0.8)).meets(values).tolist() == [True, False, True, False]


def test_a_rule_needs_exactly_one_condition():
    with pytest.raises(ValueError, match="exactly one"):
        Rule(gt=1, lt=2)
    with pytest.raises(ValueError, match="exactly one"):
        Rule()


@pytest.mark.parametrize(
    ("doc_type", "lang", "nl_lang", "config"),
    [
        ("text", "markdown", "zh", "text-zh"),
        ("text", "markdown", "en", "text-en"),
        ("text", "markdown", None, "text-en"),
        ("code", "python", None, "python"),
        ("data", "sql", None, "sql"),
        ("code", "rust", None, "others"),
        ("data", "json", None, "data"),
        ("unknown", "", None, None),
        ("excluded", "svg", None, None),
    ],
)
def test_config_selection(doc_type, lang, nl_lang, config):
    assert select_config(doc_type, lang, nl_lang) == config


def test_stochastic_draws_are_deterministic_and_uniform():
    ids = [f"doc-{i}" for i in range(20000)]
    first = stochastic_draw(ids, "qsc_codepython_score_lines_no_logic", 42)
    assert np.array_equal(first, stochastic_draw(ids, "qsc_codepython_score_lines_no_logic", 42))
    assert not np.array_equal(first, stochastic_draw(ids, "qsc_codepython_score_lines_no_logic", 43))
    assert ((first >= 0) & (first < 1)).all()
    assert abs((first < 0.8).mean() - 0.8) < 0.01  # drop rate of a p = 0.8 rule


def test_stochastic_rule_drops_about_80_percent_and_the_same_ones_each_run():
    n = 5000
    table = pa.table(
        {
            "id": [f"d{i}" for i in range(n)],
            "doc_type": ["code"] * n,
            "lang": ["python"] * n,
            "qsc_codepython_score_lines_no_logic": [0.9] * n,  # over the 0.5 threshold
        }
    )
    reasons, hits = apply_rules(table, load_rules(), seed=7)
    dropped = [r == "rules" for r in reasons]
    assert 0.78 < sum(dropped) / n < 0.82
    assert apply_rules(table, load_rules(), seed=7) == (reasons, hits)
    assert all(h == ["qsc_codepython_score_lines_no_logic"] for h, d in zip(hits, dropped, strict=True) if d)


def test_unknown_documents_are_removed_and_hits_are_listed():
    table = pa.table(
        {
            "id": ["a", "b", "c"],
            "doc_type": ["unknown", "code", "code"],
            "lang": ["", "c", "c"],
            "qsc_code_num_words": [1.0, 10.0, 100.0],  # < 30 hits
            "qsc_code_frac_chars_alphabet": [0.0, 0.1, 0.9],  # < 0.5 hits
        }
    )
    reasons, hits = apply_rules(table, load_rules(), seed=0)
    assert reasons == ["doc_type", "rules", None]
    assert hits == [[], ["qsc_code_num_words", "qsc_code_frac_chars_alphabet"], []]


def test_user_rules_override_the_shipped_ones(tmp_path):
    path = tmp_path / "my_rules.yaml"
    path.write_text("python:\n  qsc_code_num_words: {lt: 5}\n  qsc_code_frac_chars_alphabet: null\n")
    rules = load_rules(path)
    assert rules["python"]["qsc_code_num_words"] == Rule(lt=5)
    assert rules["python"]["qsc_code_frac_chars_alphabet"] is None
    assert rules["c"]["qsc_code_num_words"] == Rule(lt=30)  # untouched


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("pythn:\n  qsc_code_num_words: {lt: 5}\n", "unknown config 'pythn'"),
        ("python:\n  qsc_code_num_wordz: {lt: 5}\n", "unknown signal 'qsc_code_num_wordz'"),
        ("python:\n  qsc_code_num_words: {less: 5}\n", "rule qsc_code_num_words"),
        ("python: [1, 2\n", "not valid YAML"),
    ],
)
def test_bad_rule_files_name_the_file_and_key(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(OpencoderError, match=message) as err:
        load_rules(path)
    assert str(path) in str(err.value)
