r"""The compiled kernel of the signals (``_kernel.c``, a C extension built by setup.py), imported in one place
(``opencoder.kernels.compiled``: a clear error when it is not built).

What it computes, each in one pass over a str in its own storage width: ``word_stats`` (see text.word_stats),
``ascii_word_stats(text, map)`` (see text.text_word_stats), ``char_counts(text) -> (whitespace, letters,
digits)`` (str.isspace / isalpha / isdigit per character),
``class_runs(text, members, min_length)`` (see text.CharClass),
``code_line_stats(code) -> (code lines, lines in repeated groups)`` (see code.frac_lines_dupe_lines),
``string_literals(code, mode)`` (see code._string_literals), ``split_comments(text, syntax) -> (code,
comments)`` (see comments.SCANNERS), ``longest_line(text)`` (newline included), ``hex_word_chars(text)`` (the
characters of the matches of ``\b0[xX][0-9a-fA-F]+\b``) and, in ``_pyfacts.c``, ``python_facts(source)`` (the
counts of python.TreeFacts, from the tokens of a module that parses).
"""

from opencoder.kernels import compiled

_kernel = compiled("opencoder.refine.signals._kernel")
ascii_word_stats = _kernel.ascii_word_stats
char_counts = _kernel.char_counts
class_runs = _kernel.class_runs
code_line_stats = _kernel.code_line_stats
hex_word_chars = _kernel.hex_word_chars
longest_line = _kernel.longest_line
python_facts = _kernel.python_facts
split_comments = _kernel.split_comments
string_literals = _kernel.string_literals
word_stats = _kernel.word_stats
