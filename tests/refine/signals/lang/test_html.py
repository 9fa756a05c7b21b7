"""HTML signals on hand-made snippets; expected values worked out by hand in the comments."""

from pathlib import Path

import pytest
from bs4 import BeautifulSoup

from opencoder.refine.signals.htmltext import visible_text_length

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
