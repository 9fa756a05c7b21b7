import os
import sysconfig
from pathlib import Path

import pytest

from opencoder.errors import OpencoderError
from opencoder.io import corpus
from opencoder.io.corpus import Candidate, default_corpus, sample_corpus


def _write(root: Path, rel: str, size: int) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(b"x" * size)


def test_lists_regular_files_and_skips_caches_symlinks_and_nested_roots(tmp_path):
    tree = tmp_path / "tree"
    _write(tree, "pkg/mod.py", 10)
    _write(tree, "pkg/__pycache__/mod.cpython-311.pyc", 10)
    _write(tree, "top.h", 3)
    _write(tree, "nested/inner.c", 4)
    os.symlink(tree / "top.h", tree / "link.h")
    os.symlink(tree / "pkg", tree / "pkglink")
    roots = sample_corpus([Candidate("tree", tree), Candidate("nested", tree / "nested")])
    assert [(r.label, r.files, r.total_bytes) for r in roots] == [
        ("tree", ("pkg/mod.py", "top.h"), 13),
        ("nested", ("inner.c",), 4),
    ]
    assert list(roots[0].paths()) == [tree / "pkg/mod.py", tree / "top.h"]


def test_top_level_selection_reads_only_the_named_folders(tmp_path):
    _write(tmp_path, "perl/a.pm", 1)
    _write(tmp_path, "cmake-3.25/b.cmake", 1)
    _write(tmp_path, "icons/c.png", 1)
    _write(tmp_path, "site-packages/d.py", 1)
    _write(tmp_path, "README", 1)
    (only,) = sample_corpus([Candidate("share", tmp_path, only_top=("perl", "cmake*"))])
    assert only.files == ("cmake-3.25/b.cmake", "perl/a.pm")
    (skip,) = sample_corpus([Candidate("lib", tmp_path, skip_top=("site-packages",))])
    assert skip.files == ("README", "cmake-3.25/b.cmake", "icons/c.png", "perl/a.pm")


def test_cap_spreads_over_roots_and_samples_the_same_files_from_copies_of_a_tree(tmp_path):
    for copy in ("a", "b"):
        for i in range(50):
            _write(tmp_path / copy, f"d{i % 5}/f{i}.py", 100)
        _write(tmp_path / copy, "d0/big.bin", 1_500)  # larger than the share: passed over, not the end of it
    _write(tmp_path / "small", "only.c", 100)
    cands = [Candidate(label, tmp_path / label) for label in ("a", "b", "small")]
    roots = sample_corpus(cands, max_bytes=2_100)
    by_label = {r.label: r for r in roots}
    assert by_label["small"].files == ("only.c",)
    # the small root's unused share goes to the others: 2,000 bytes left, 1,000 each
    assert by_label["a"].total_bytes == by_label["b"].total_bytes == 1_000
    assert by_label["a"].files == by_label["b"].files
    assert len({f.split("/")[0] for f in by_label["a"].files}) > 1  # a spread, not the first folder only
    assert sample_corpus(cands, max_bytes=2_100) == roots


def test_default_corpus_reads_this_interpreters_standard_library_within_the_cap():
    roots = default_corpus(max_bytes=4_000_000)
    assert sum(r.total_bytes for r in roots) <= 4_000_000
    labels = [r.label for r in roots]
    assert len(labels) == len(set(labels))
    stdlib = next(r for r in roots if r.label == "python-stdlib")
    assert stdlib.root == Path(sysconfig.get_paths()["stdlib"]).resolve()
    assert stdlib.files and all(not f.startswith("site-packages/") for f in stdlib.files)
    assert all((r.root / r.files[0]).is_file() for r in roots)


def test_default_inputs_name_the_problem_on_a_machine_without_source_trees(monkeypatch):
    monkeypatch.setattr(corpus, "discover_candidates", list)
    with pytest.raises(OpencoderError, match="no source trees found"):
        corpus.default_inputs(1_000_000)


def test_default_inputs_read_exactly_the_listed_files():
    inputs = corpus.default_inputs(1_000_000)
    roots = default_corpus(1_000_000)
    assert [(i.label, list(i.files), list(i.sizes)) for i in inputs] == [
        (r.label, list(r.files), list(r.sizes)) for r in roots
    ]
