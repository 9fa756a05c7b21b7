"""JavaScript and HTML signals on hand-made snippets; expected values worked out by hand in the comments."""

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from opencoder.refine.signals.htmltext import visible_text_length

JS_SRC = """import fs from "fs";
const limit = 10;
let name = getName();
function add(a, b) {
  return a;
}
var helper = function () {
  return a + b;
};
class Point {}
console.log(add(limit, 2));
"""
# 11 code lines, 7 top-level statements. Variables limit, name; functions add, helper; simple variables limit;
# simple returns "return a"; imports 1; classes Point.


def test_javascript_signals(signals):
    s = signals(JS_SRC, "javascript")
    assert len(s) == 9
    assert s["cate_ast"] == 1.0
    assert s["cate_var_zero"] == 0.0
    assert s["frac_lines_func_ratio"] == round(2 / 11, 8)
    assert s["num_statement_line"] == round(7 / 11, 8)
    assert s["score_lines_no_logic"] == round((2 + 1 + 1 + 1 + 1) / 11, 8)
    assert s["frac_words_legal_var_name"] == 1.0
    assert s["frac_words_legal_func_name"] == 1.0
    assert s["frac_words_legal_class_name"] == 1.0
    assert s["frac_lines_print"] == round(1 / 11, 8)


def test_javascript_exports_and_names(signals):
    # module.exports.Run = function: a function named Run; module.exports.max_size = 3: a variable (illegal name)
    s = signals("module.exports.Run = function () {};\nmodule.exports.max_size = 3;\nvar ok = 1;\n", "javascript")
    assert s["frac_lines_func_ratio"] == round(1 / 3, 8)
    assert s["frac_words_legal_var_name"] == 0.5  # ok yes, max_size no
    assert s["score_lines_no_logic"] == round(3 / 3, 8)  # 1 function + 2 simple variables


def test_javascript_parse_failures(signals):
    s = signals("function (\n", "javascript")
    assert s["cate_ast"] == 0.0
    assert s["cate_var_zero"] is None and s["score_lines_no_logic"] is None
    deep = "x = " + "[" * 3000 + "]" * 3000 + ";\n"  # esprima recurses: RecursionError
    assert signals(deep, "javascript")["cate_ast"] == 0.0


HTML = "<html><head><style>p {color: red}</style></head>\n<body><!-- note --><p>Hello &amp; bye</p></body></html>"
# 48 + 1 + 55 = 104 characters; visible text "\n" + "Hello & bye" = 12 (style and comment left out)


def test_html_signals(signals):
    assert len(HTML) == 104
    s = signals(HTML, "html")
    assert s == {"cate_ast": 1.0, "frac_words_text": round(12 / 104, 8), "num_chars_text": 12.0}
    assert signals("", "html")["frac_words_text"] is None


TRICKY_HTML = [
    "<p>caf&eacute; &#233; &#x41; &#150; &unknown; &amp</p>",  # entities as bs4 decodes them
    "<![CDATA[kept]]><!DOCTYPE html><?php skipped ?><!-- skipped -->",
    "<template><p>hidden</p></template><ruby>漢<rp>(</rp><rt>kan</rt><rp>)</rp></ruby>",
    "<pre>\n\n  </pre><div>\n\n  </div><textarea>  </textarea><span>   </span>",
    "<b>bold<i>both</b>italic?</i></p><br>after<br/>x</br>y",  # stray and mismatched end tags
    "<script>if (a < b) { x = '</p>'; }</script>text<style>p {}</style>",
    "<div><script>unclosed script",
    "",
]


@pytest.mark.parametrize("markup", TRICKY_HTML)
def test_visible_text_length_matches_beautifulsoup(markup):
    assert visible_text_length(markup) == len(BeautifulSoup(markup, "html.parser").get_text())


def test_visible_text_length_on_a_real_page():
    page = (Path(__file__).parents[3] / "fixtures" / "rustdoc_macro.html").read_text("utf-8")
    assert visible_text_length(page) == len(BeautifulSoup(page, "html.parser").get_text())
