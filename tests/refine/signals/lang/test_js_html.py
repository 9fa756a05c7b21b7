"""JavaScript and HTML signals on hand-made snippets; expected values worked out by hand in the comments."""

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
