"""Shared text machinery and the code/comment split."""

import pytest

from opencoder.refine.signals.comments import split_code_comments
from opencoder.refine.signals.document import CodeDocument
from opencoder.refine.signals.text import CharClass, normalize, split_lines, wordpunct


def test_lines_keep_newlines_and_empty_lines():
    assert split_lines("a\n\nb") == ["a\n", "\n", "b"]
    assert split_lines("a\n") == ["a\n"]
    assert split_lines("") == []


def test_normalisation_order_and_words():
    # full-width "！" -> "!" -> space; control char dropped; lowercased; NFKC turns "ﬁ" into "fi"; digits kept
    assert normalize("Hello！World\x01 ﬁle 42").split() == ["hello", "world", "file", "42"]
    # wordpunct: runs of word characters or of other non-space characters
    assert wordpunct("a+=b; «c»") == ["a", "+=", "b", ";", "«", "c", "»"]
    assert CodeDocument("Don't stop-me", doc_type="text").normalized_words == ["don", "t", "stop", "me"]


def test_runs_finds_maximal_runs_of_a_character_class():
    ab = CharClass("ab")
    assert ab.runs("xaabbx ab aaa", 2) == [(1, 5), (7, 9), (10, 13)]
    assert ab.runs("xaabbé ab aaa😀", 2) == [(1, 5), (7, 9), (10, 13)]  # 2- and 4-byte strs; no non-ASCII member
    assert ab.runs("ab", 2) == [(0, 2)] and ab.runs("ab", 3) == []
    assert ab.runs("", 1) == []
    assert CharClass("").runs("abc", 1) == []
    with pytest.raises(ValueError, match="min_length"):
        ab.runs("ab", 0)
    with pytest.raises(ValueError, match="ASCII"):
        CharClass("aé")  # runs would never find the é: the kernel's table covers ASCII only


def test_python_split_keeps_strings_and_takes_docstrings():
    source = 'x = "a # b"  # real\n"""doc"""\ny = f"""not doc"""\n    r"""doc2"""\n'
    code, comments = split_code_comments(source, "python")
    assert comments == ["# real", '"""doc"""', '"""doc2"""']
    assert code == 'x = "a # b"  \n\ny = f"""not doc"""\n    r\n'


def test_c_split_matches_pygments_on_a_small_file():
    source = 'int a; // c\n/* b\n */ char *s = "//x"; /* e */\n'
    assert split_code_comments(source, "c") == ('int a; \n char *s = "//x"; \n', ["// c", "/* b\n */", "/* e */"])
    _, comments = split_code_comments(source, "c", "opc")  # pygments: a line comment token takes its newline
    assert comments == ["// c\n", "/* b\n */", "/* e */"]


def test_fallback_parser_fixed_ends_line_comments_opc_keeps_the_released_bug():
    source = "a = 1\n# note\nb = 2\n/* x\ny */\nc = 3\n"
    code, comments = split_code_comments(source, "nolexer-lang", "fixed")
    assert code == "a = 1\nb = 2\nc = 3\n"
    assert comments == ["# note\n", "/* x\n", "y */\n"]
    code, _ = split_code_comments(source, "nolexer-lang", "opc")
    # after "# note" everything is comment until "/* x" toggles the block off; "y */" toggles it on again
    assert code == "a = 1\n"


def test_perl_pod_is_comment():
    source = "my $x = 1;\n=head1 NAME\ntext\n=cut\nprint $x; # hi\n# whole\n"
    code, comments = split_code_comments(source, "perl")
    assert code == "my $x = 1;\nprint $x; # hi\n"
    assert "".join(comments) == "=head1 NAME\ntext\n=cut\n# whole\n"


@pytest.mark.parametrize("lang", ["python", "c", "javascript", "sql", "html", "shell", "go"])
def test_fixed_split_loses_no_character(lang):
    source = "a = \"x\" // y\n# z\n-- w\n<!-- v -->\n/* u */ `t`\n's'\n"
    code, comments = split_code_comments(source, lang)
    assert sorted(code + "".join(comments)) == sorted(source)


ALPHABET = [
    *"abcXYZ019 _-.,;:!?\t\n\x01\x1b\x1f",
    "é",
    "ß",
    "Ａ",
    "！",
    "。",
    "【",
    "】",
    "\u2009",
    "\u200b",
    "ﬁ",
    "①",
    "—",
    "中",
]


def test_fast_normalisation_and_words_equal_the_character_by_character_definition():
    import random
    import unicodedata

    from opencoder.refine.signals.text import _NORM_TABLE, WORDPUNCT, normalized_words

    rng = random.Random(1)
    for _ in range(2000):
        text = "".join(rng.choice(ALPHABET) for _ in range(rng.randint(0, 40)))
        reference = unicodedata.normalize("NFKC", text.translate(_NORM_TABLE).lower())
        assert normalize(text) == reference
        assert normalized_words(normalize(text)) == WORDPUNCT.findall(reference)


def test_words_of_equal_internal_bytes_stay_apart():
    # "n0" (one byte per character) and U+306E (two bytes per character) share the bytes 6E 30; they are still
    # two distinct words, or "distinct words" would undercount.
    doc = CodeDocument("n0 \u306e n0 \u306e x", lang="text", doc_type="text")
    assert doc.normalized_words == ["n0", "\u306e", "n0", "\u306e", "x"]
    from opencoder.refine.signals import doc as doc_signals

    assert doc_signals.frac_words_unique(doc) == 3 / 5
