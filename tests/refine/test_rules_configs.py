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
