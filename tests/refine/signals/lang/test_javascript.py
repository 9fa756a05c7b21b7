"""JavaScript signals: hand-made snippets with values worked out by hand, and the tree-sitter path (default)
against the released esprima path (compat opc) on snippets and real files that esprima parses."""

import dataclasses
import signal

import pytest

from opencoder.refine.signals import javascript
from opencoder.refine.signals.document import CodeDocument

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


@pytest.mark.parametrize("compat", ["fixed", "opc"])
def test_javascript_signals(signals, compat):
    s = signals(JS_SRC, "javascript", compat)
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


@pytest.mark.parametrize("compat", ["fixed", "opc"])
def test_javascript_exports_and_names(signals, compat):
    # module.exports.Run = function: a function named Run; module.exports.max_size = 3: a variable (illegal name)
    src = "module.exports.Run = function () {};\nmodule.exports.max_size = 3;\nvar ok = 1;\n"
    s = signals(src, "javascript", compat)
    assert s["frac_lines_func_ratio"] == round(1 / 3, 8)
    assert s["frac_words_legal_var_name"] == 0.5  # ok yes, max_size no
    assert s["score_lines_no_logic"] == round(3 / 3, 8)  # 1 function + 2 simple variables


# What esprima 4.0.1 parses (ES5 to ES2017, scripts and modules), covering every node kind the visitors count
ESPRIMA_SNIPPETS = [
    JS_SRC,
    "'use strict';\n(function () {\n  var a = 1, b, c = -a, d = (2), e = 'x', f = /re/g, g = null, h = undefined;\n"
    "  var F = function () { return; }, G = function* () { yield 1; }, H = async function () {}, I = () => 1;\n"
    "  var J = (function () {}), K = class {}, L = `t${a}`, M = a + b, N = this;\n  return (c);\n})();\n",
    "let {x, y: [z]} = o, [p, ...q] = r;\nconst s = function () {};\nfor (var k in o) {}\nfor (const v of xs) {}\n"
    "for (let i = 0, n = xs.length; i < n; i++) { if (i) { continue; } }\nlabel: while (true) { break label; }\n",
    "async function load(url) {\n  const r = await fetch(url);\n  return r.ok ? r : null;\n}\n"
    "function* gen() { return 1; }\nfunction outer() { function inner() { return true; } return inner; }\n"
    "class Shape { constructor(w) { this.w = w; } get area() { return this.w; }\n"
    "  static make() { return new Shape(1); } }\n"
    "class sub_class extends Shape {}\n",
    "module.exports.a = 1;\nmodule.exports.b = () => 2;\nmodule.exports.c = async () => 3;\nmodule.exports[key] = x;\n"
    "module.exports['lit'] = 5;\nmodule.exports.d += -1;\nmodule['exports'].e = 6;\nexports.f = 7;\nthis.g = 8;\n"
    "module.exports.h = module.exports.i = function () {};\nmodule.exports = { j: 1 };\n",
    'import a from "a";\nimport * as b from "b";\nimport { c, d as e } from "c";\nexport const f = 1;\n'
    "export function g() { return f; }\nexport default class H {}\nexport { a, b };\n",
    "switch (x) { case 1: var y = 2; break; default: return_ = 3; }\ntry { throw new Error('e'); }"
    " catch (err) { var z = err; } finally { var w; }\n"
    "var o = { m() { return 1; }, get n() { return 2; }, ['k' + 1]: 3 };\n",
]


def _normalised_facts(text: str, compat: str) -> dict | None:
    facts = javascript.tree_facts(CodeDocument(text, lang="javascript", compat=compat))
    if facts is None:
        return None
    lists = ("variables", "functions", "classes")
    return {k: sorted(v) if k in lists else v for k, v in dataclasses.asdict(facts).items()}


@pytest.mark.parametrize("text", ESPRIMA_SNIPPETS)
def test_tree_sitter_counts_what_esprima_counts(signals, text):
    released = _normalised_facts(text, "opc")
    assert released is not None  # the snippet is in esprima's language
    assert _normalised_facts(text, "fixed") == released
    assert signals(text, "javascript") == signals(text, "javascript", "opc")


def test_tree_sitter_counts_what_esprima_counts_on_real_files(corpus):
    files = corpus("node-modules", ".js", 200_000)
    assert len(files) >= 20, "needs Node.js with its bundled npm in /usr/lib/node_modules"
    compared = 0
    for path, text in files:
        released = _normalised_facts(text, "opc")
        if released is not None:
            assert _normalised_facts(text, "fixed") == released, path
            compared += 1
    assert compared >= len(files) / 2  # most of npm's own files are plain ES2017


# Newer than ES2017 (or not ECMAScript at all): esprima 4.0.1 rejects each, tree-sitter reads it
MODERN = [
    "const v = a?.b ?? c;\n",
    "class A { x = 1; #p = 2; static s = 3; #m() { return this.#p; } }\n",
    "const big = 10n, million = 1_000_000;\n",
    "const url = import.meta.url;\nexport * as ns from 'm';\n",
    "async function f() { for await (const x of xs) {} }\n",
    "try { f(); } catch { g(); }\n",
    "x ||= 1;\ny &&= 2;\nz ??= 3;\n",
    "#!/usr/bin/env node\nmain();\n",
    "const el = <div className='a'>{text}</div>;\n",
    "if (done) return;\nrun();\n",  # a top-level return: legal in a CommonJS module (node wraps it in a function)
    "'use strict';\nvar octal = 010;\n",  # an early error, not a syntax error: tree-sitter checks syntax only
]


@pytest.mark.parametrize("text", MODERN)
def test_modern_syntax_parses_with_tree_sitter_only(signals, text):
    assert signals(text, "javascript", "opc")["cate_ast"] == 0.0
    fixed = signals(text, "javascript")
    assert fixed["cate_ast"] == 1.0
    assert fixed["num_statement_line"] is not None


def test_modern_syntax_values():
    # 3 code lines, 3 statements; variables v (simple? no: a ?? expression), big (10n literal: simple), n (simple)
    s = javascript.tree_facts(CodeDocument("const v = a?.b ?? c;\nlet big = 10n;\nvar n;\n", lang="javascript"))
    assert (s.variables, s.simple_variables, s.statements) == (["v", "big", "n"], 2, 3)


@pytest.mark.parametrize("compat", ["fixed", "opc"])
@pytest.mark.parametrize("text", ["function (\n", "var x = 1 +;\n", "if (a) {\n", "let let = 1;\nvar a = [1, 2;\n"])
def test_javascript_parse_failures(signals, compat, text):
    s = signals(text, "javascript", compat)
    assert s["cate_ast"] == 0.0
    assert {v for k, v in s.items() if k not in ("cate_ast", "frac_lines_print")} == {None}


def test_deep_nesting_parses_with_tree_sitter_only(signals):
    deep = "x = " + "[" * 3000 + "]" * 3000 + ";\n"
    assert signals(deep, "javascript", "opc")["cate_ast"] == 0.0  # esprima recurses: RecursionError
    assert signals(deep, "javascript")["cate_ast"] == 1.0  # tree-sitter's parser and query cursor do not
    assert signals(deep, "javascript")["num_statement_line"] == 1.0


def test_lone_surrogates_do_not_break_the_parse(signals):
    assert signals("var s = 'a\ud800';\n", "javascript")["cate_ast"] == 1.0


def test_a_parse_given_up_early_leaves_the_parser_ready_for_the_next_document(signals):
    # once every parse tree-sitter holds has met an error, it is cancelled (error recovery costs far more)
    pieces = "(){}[];,.=+<>/`'\"x \n"
    garbage = "".join(pieces[(i * 7919) % len(pieces)] for i in range(200_000))
    assert javascript._parse(garbage.encode()) is None
    assert signals(garbage, "javascript")["cate_ast"] == 0.0
    assert signals(JS_SRC, "javascript")["cate_ast"] == 1.0  # a cancelled parser resumes unless reset


def test_a_parse_interrupted_by_a_timeout_leaves_the_parser_ready(signals):
    class Interrupted(Exception):
        pass

    def interrupt(*_):
        raise Interrupted

    previous = signal.signal(signal.SIGALRM, interrupt)
    try:
        signal.setitimer(signal.ITIMER_REAL, 0.05)  # the runner's per-signal timeout works the same way
        with pytest.raises(Interrupted):
            javascript._parse(b"var a = 1;\n" * 400_000)  # seconds of parsing; the alarm fires in a callback
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert signals("var b = 2;\n", "javascript")["num_statement_line"] == 1.0  # not the rest of the other text
