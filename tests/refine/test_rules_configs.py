"""Every rule of every shipped config: a document just over its threshold is removed, just under is kept.

Driven by the YAML files, so a rule added to a config is tested without touching this file.
"""

import pyarrow as pa
import pytest

from opencoder.refine.filter import CONFIG_NAMES, Rule, apply_rules, default_rules, stochastic_draw

RULES = default_rules()
EPS = 1e-6
SEED = 42
# A (doc_type, lang, nl_lang) that selects each config.
SELECTS = {
    "others": ("code", "rust", None),
    "data": ("data", "json", None),
    "text-en": ("text", "markdown", "en"),
    "text-zh": ("text", "markdown", "zh"),
} | {name: ("code", name, None) for name in CONFIG_NAMES if name not in ("others", "data", "text-en", "text-zh")}


def passing(rule: Rule) -> float:
    """A value comfortably inside the rule's keep range."""
    if rule.gt is not None:
        return rule.gt - 1
    if rule.ge is not None:
        return rule.ge - 1
    if rule.lt is not None:
        return rule.lt + 1
    if rule.le is not None:
        return rule.le + 1
    if rule.eq is not None:
        return 1.0 - rule.eq
    lo, hi = rule.outside
    return (lo + hi) / 2


def edges(rule: Rule) -> list[tuple[float, bool]]:
    """(value, should hit) pairs just either side of the threshold."""
    if rule.gt is not None:
        return [(rule.gt + EPS, True), (rule.gt, False)]
    if rule.ge is not None:
        return [(rule.ge, True), (rule.ge - EPS, False)]
    if rule.lt is not None:
        return [(rule.lt - EPS, True), (rule.lt, False)]
    if rule.le is not None:
        return [(rule.le, True), (rule.le + EPS, False)]
    if rule.eq is not None:
        return [(rule.eq, True), (1.0 - rule.eq, False)]
    lo, hi = rule.outside
    return [(lo - EPS, True), (lo, False), (hi + EPS, True), (hi, False)]


CASES = [
    pytest.param(config, signal, rule, id=f"{config}:{signal}")
    for config in CONFIG_NAMES
    for signal, rule in RULES[config].items()
    if rule is not None
]


def test_active_rule_counts_match_the_released_configs():
    active = {name: sum(r is not None for r in rules.values()) for name, rules in RULES.items()}
    assert active == {
        "others": 31,
        "data": 28,
        "shell": 28,
        "sql": 31,
        "python": 39,
        "cpp": 36,
        "c": 36,
        "csharp": 35,
        "go": 35,
        "html": 28,
        "java": 35,
        "javascript": 36,
        "text-zh": 26,
        "text-en": 26,
    }


@pytest.mark.parametrize(("config", "signal", "rule"), CASES)
def test_just_over_removed_just_under_kept(config, signal, rule):
    doc_type, lang, nl_lang = SELECTS[config]
    base = {name: passing(r) for name, r in RULES[config].items() if r is not None}
    rows = []
    for value, _ in edges(rule):
        # stochastic rules: pick an id whose draw makes the drop happen, so the threshold is what is tested
        doc_id = next(
            f"{config}-{signal}-{k}"
            for k in range(100)
            if stochastic_draw([f"{config}-{signal}-{k}"], signal, SEED)[0] < rule.drop_probability
        )
        rows.append({**base, signal: value, "id": doc_id, "doc_type": doc_type, "lang": lang, "nl_lang": nl_lang})
    reasons, hits = apply_rules(pa.Table.from_pylist(rows), RULES, SEED)
    expected = [should_hit for _, should_hit in edges(rule)]
    assert [r == "rules" for r in reasons] == expected
    assert [h == [signal] for h in hits] == expected


def test_stochastic_rules_keep_an_over_threshold_document_when_the_draw_says_so():
    rule = RULES["go"]["qsc_codego_cate_testfile"]
    assert rule.drop_probability == pytest.approx(0.8)
    base = {name: passing(r) for name, r in RULES["go"].items() if r is not None}
    ids = [f"go-{k}" for k in range(200)]
    draws = stochastic_draw(ids, "qsc_codego_cate_testfile", SEED)
    table = pa.Table.from_pylist(
        [{**base, "qsc_codego_cate_testfile": 1.0, "id": i, "doc_type": "code", "lang": "go"} for i in ids]
    )
    reasons, _ = apply_rules(table, RULES, SEED)
    assert [r == "rules" for r in reasons] == (draws < 0.8).tolist()


# The released thresholds, typed in from SPEC §1.5.2 (the released code_filter_config and text_filter_config), not
# read from the shipped YAML: a threshold changed in a YAML file must fail here. "p=0.8": dropped with probability
# 0.8 when over the threshold. Signals not listed are off (null) in that config.
_GENERAL = {
    "frac_chars_replacement_symbols": "> 0.01",
    "num_words": "< 30",
    "num_chars": "< 50",
    "mean_word_length": "outside 2 10",
    "frac_chars_top_2grams": "> 0.2",
    "frac_chars_top_3grams": "> 0.18",
    "frac_chars_top_4grams": "> 0.16",
    "frac_chars_dupe_5grams": "> 0.8",
    "frac_chars_dupe_6grams": "> 0.7",
    "frac_chars_dupe_7grams": "> 0.7",
    "frac_chars_dupe_8grams": "> 0.7",
    "frac_chars_dupe_9grams": "> 0.7",
    "frac_chars_dupe_10grams": "> 0.6",
    "frac_lines_dupe_lines": "> 0.7",
    "size_file_byte": "> 3e+06",
    "num_lines": "outside 10 100000",
    "num_chars_line_max": "> 1000",
    "num_chars_line_mean": "outside 5 100",
    "frac_chars_alphabet": "< 0.5",
    "frac_chars_digital": "> 0.2",
    "frac_chars_whitespace": "> 0.5",
    "frac_chars_comments": "> 0.8",
    "cate_xml_start": "== 1",
    "cate_autogen": "== 1",
    "frac_lines_long_string": "> 0.2",
    "frac_chars_string_length": "> 0.6",
    "frac_chars_long_word_length": "> 0.4",
    "cate_encoded_data": "== 1",
    "frac_chars_hex_words": "> 0.4",
    "frac_lines_prompt_comments": "> 0.01",
    "frac_lines_assert": "> 0.4",
}
_OFF = None


def _general(**changes: str | None) -> dict[str, str]:
    merged = {**_GENERAL, **changes}
    return {f"qsc_code_{name}": rule for name, rule in merged.items() if rule is not None}


def _specific(prefix: str, **rules: str) -> dict[str, str]:
    return {f"qsc_code{prefix}_{name}": rule for name, rule in rules.items()}


_C_LIKE = {
    "frac_lines_func_ratio": "> 0.2",
    "nums_lines_main": "> 1",
    "score_lines_no_logic": "> 0.5 p=0.8",
    "frac_lines_preprocessor_directives": "> 0.8",
    "frac_lines_print": "> 0.4",
}
_TEXT = {
    "frac_chars_replacement_symbols": "> 0.01",
    "entropy_unigram": "< 3",
    "frac_chars_top_2grams": "> 0.2",
    "frac_chars_top_3grams": "> 0.18",
    "frac_chars_top_4grams": "> 0.16",
    **{f"frac_chars_dupe_{n}grams": "> 0.6" for n in range(5, 11)},
    "frac_chars_dupe_lines": "> 0.5",
    "frac_lines_dupe_lines": "> 0.6",
    "frac_lines_start_with_bullet": "> 0.9",
    "num_chars": "< 50",
    "num_lines": "< 10",
    "num_sentences": "== 1",
    "num_words": "< 50",
    "frac_chars_hex_words": "> 0.4",
    "frac_chars_hyperlink_html_tag": "> 0.5",
    "frac_chars_alphabet": "< 0.5",
    "frac_chars_digital": "> 0.2",
    "frac_chars_whitespace": "> 0.5",
}
_STRINGS_OFF = {"frac_lines_long_string": _OFF, "frac_chars_string_length": _OFF}
RELEASED = {
    "others": _general(),
    "data": _general(
        num_chars="outside 50 5000",
        frac_words_unique="< 0.4",
        frac_lines_prompt_comments=_OFF,
        frac_lines_assert=_OFF,
        **_STRINGS_OFF,
    ),
    "shell": _general(frac_lines_assert=_OFF, **_STRINGS_OFF),
    "sql": _general(frac_chars_digital="> 0.3"),
    "python": _general()
    | _specific(
        "python",
        cate_ast="== 0",
        frac_lines_func_ratio="> 0.2",
        cate_var_zero="== 1",
        frac_lines_pass="> 0.05",
        frac_lines_import="> 0.3",
        frac_lines_simplefunc="> 0.1",
        score_lines_no_logic="> 0.5 p=0.8",
        frac_lines_print="> 0.4",
    ),
    "c": _general() | _specific("c", **_C_LIKE),
    "cpp": _general() | _specific("cpp", **_C_LIKE),
    "csharp": _general()
    | _specific(
        "csharp",
        frac_lines_func_ratio="> 0.2",
        score_lines_no_logic="> 0.5 p=0.8",
        frac_lines_print="> 0.4",
        cate_var_zero="== 1",
    ),
    "go": _general(frac_lines_assert=_OFF)
    | _specific(
        "go",
        cate_testfile="== 1 p=0.8",
        frac_lines_func_ratio="> 0.2",
        score_lines_no_logic="> 0.5 p=0.8",
        frac_lines_print="> 0.4",
        cate_var_zero="== 1",
    ),
    "html": _general(
        **{f"frac_chars_dupe_{n}grams": "> 0.6" for n in range(5, 10)},
        frac_chars_comments=_OFF,
        frac_chars_long_word_length=_OFF,
        frac_lines_prompt_comments=_OFF,
        frac_lines_assert=_OFF,
        **_STRINGS_OFF,
    )
    | _specific("html", cate_ast="== 0", frac_words_text="< 0.2", num_chars_text="< 100"),
    "java": _general()
    | _specific(
        "java",
        cate_var_zero="== 1",
        frac_lines_func_ratio="> 0.2",
        score_lines_no_logic="> 0.5 p=0.8",
        frac_lines_print="> 0.4",
    ),
    "javascript": _general()
    | _specific(
        "javascript",
        cate_ast="== 0",
        cate_var_zero="== 1",
        frac_lines_func_ratio="> 0.2",
        score_lines_no_logic="> 0.5 p=0.8",
        frac_lines_print="> 0.4",
    ),
    "text-en": {
        f"qsc_doc_{name}": rule
        for name, rule in {
            **_TEXT,
            "frac_lines_end_with_readmore": "> 0.1",
            "frac_words_all_caps": "> 0.5",
            "mean_word_length": "outside 3 10",
        }.items()
    },
    "text-zh": {
        f"qsc_doc_{name}": rule
        for name, rule in {
            **_TEXT,
            "frac_lines_end_with_readmore": "> 0.3",
            "frac_words_full_bracket": "> 0.1",
            "mean_word_length": "outside 1.3 10",
        }.items()
    },
}


OPS = {"gt": ">", "ge": ">=", "lt": "<", "le": "<=", "eq": "=="}


def _as_released(rule: Rule) -> str:
    if rule.outside is not None:
        text = f"outside {rule.outside[0]:g} {rule.outside[1]:g}"
    else:
        op, value = next((op, getattr(rule, name)) for name, op in OPS.items() if getattr(rule, name) is not None)
        text = f"{op} {value:g}"
    return text if rule.drop_probability == 1.0 else f"{text} p={rule.drop_probability:g}"


def test_every_config_has_released_thresholds():
    assert set(RELEASED) == set(CONFIG_NAMES)


@pytest.mark.parametrize("config", sorted(RELEASED))
def test_thresholds_are_the_released_ones(config):
    shipped = {signal: _as_released(rule) for signal, rule in RULES[config].items() if rule is not None}
    assert shipped == RELEASED[config]
