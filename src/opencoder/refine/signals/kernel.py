r"""The compiled kernel of the signals (``_kernel.c``, a C extension built by setup.py), imported in one place.

What it computes, each in one pass over a str in its own storage width: ``word_stats`` (see text.word_stats),
``char_counts(text) -> (whitespace, letters, digits)`` (str.isspace / isalpha / isdigit per character),
``code_line_stats(code) -> (code lines, lines in repeated groups)`` (see code.frac_lines_dupe_lines),
``string_literals(code, mode)`` (see code._string_literals), ``split_comments(text, syntax) -> (code,
comments)`` (see comments.SCANNERS), ``longest_line(text)`` (newline included) and ``hex_word_chars(text)`` (the
characters of the matches of ``\b0[xX][0-9a-fA-F]+\b``).
"""

try:
    from opencoder.refine.signals._kernel import (
        char_counts,
        code_line_stats,
        hex_word_chars,
        longest_line,
        split_comments,
        string_literals,
        word_stats,
    )
except ImportError as error:  # a source checkout used through PYTHONPATH=src without a build
    raise ImportError(
        "the compiled signal kernel is not built: run `python setup.py build_ext --inplace` in the checkout "
        "(or `pip install -e .`)"
    ) from error

__all__ = [
    "char_counts",
    "code_line_stats",
    "hex_word_chars",
    "longest_line",
    "split_comments",
    "string_literals",
    "word_stats",
]
