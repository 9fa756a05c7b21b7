"""The embedded default corpus: real code already on this machine, so the demo needs no download.

Every machine with Python holds a real multi-language corpus: the interpreter's standard library and
site-packages, C headers in ``/usr/include``, Perl, Vim script, CMake, Tcl, Emacs Lisp and more under
``/usr/share``, JavaScript in global Node modules. ``default_corpus`` finds these trees, labels each one and
lists its files in a fixed order, so ``opencoder refine`` with no INPUT reads them as directory-tree inputs.

A cap (``max_bytes``) turns the corpus into a deterministic sample that spreads over all roots and over
each tree, rather than the first folders in alphabetical order. Files are picked by a hash of their path
*relative to the root*, so two copies of the same tree (the Python standard library under pyenv and under
``/usr/lib``) sample the same files: even a capped demo keeps real exact duplicates for dedup to find.

How refine reads it: ``default_inputs`` (``CorpusRoot.input_spec()``) makes each root a directory-tree input with
its file list, so the reader opens exactly the listed files.
"""

from __future__ import annotations

import fnmatch
import glob
import os
import sys
import sysconfig
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import xxhash

if TYPE_CHECKING:
    from opencoder.io.readers import InputSpec

# Folders under /usr/share that hold source code or code-like text (scripts, modules, macros), not images or
# locales. Globs, matched against the folder's name.
USR_SHARE_SOURCE_DIRS: tuple[str, ...] = (
    "aclocal",
    "bash-completion",
    "cmake*",
    "debhelper",
    "emacs",
    "gdb",
    "gettext*",
    "groff",
    "javascript",
    "lintian",
    "perl",
    "perl5",
    "postgresql",
    "postgresql-common",
    "python3",
    "source-highlight",
    "tcltk",
    "vim",
)
# Compiled caches and package-manager leftovers are not source anyone wrote; everything else is listed, binary
# or not, and preprocessing records why it drops what it drops.
SKIPPED_DIR_NAMES = frozenset({"__pycache__", ".git", ".hg", ".svn"})


@dataclass(frozen=True)
class Candidate:
    """A tree that may join the corpus: its label, its path, and which of its top-level folders to read."""

    label: str
    root: Path
    only_top: tuple[str, ...] | None = None  # globs of top-level folder names to read; None: the whole tree
    skip_top: tuple[str, ...] = ()  # top-level folder names to leave out (trees listed as roots of their own)


class CorpusRoot(NamedTuple):
    """One directory-tree input of the default corpus: read ``files`` (relative to ``root``) as documents."""

    root: Path
    label: str  # a short, stable name shown in the report, e.g. "python-stdlib"
    files: tuple[str, ...]  # POSIX paths relative to ``root``, sorted
    sizes: tuple[int, ...]  # each file's size as listed (a file may change before it is read)

    @property
    def total_bytes(self) -> int:
        return sum(self.sizes)

    def paths(self) -> Iterator[Path]:
        """The listed files as absolute paths, in order."""
        return (self.root / rel for rel in self.files)

    def input_spec(self) -> InputSpec:
        """This root as a refine input that reads exactly the listed files (cut into tasks by their sizes)."""
        from opencoder.io.readers import InputSpec

        return InputSpec(str(self.root), self.label, self.files, self.sizes)


def discover_candidates() -> list[Candidate]:
    """The well-known source trees of this machine that exist, in a fixed order, each path listed once."""
    paths = sysconfig.get_paths()
    stdlib = Path(paths["stdlib"])
    found = [Candidate("python-stdlib", stdlib, skip_top=("site-packages", "dist-packages"))]
    found.append(Candidate("python-site-packages", Path(paths["purelib"])))
    found.append(Candidate("python-platlib", Path(paths["platlib"])))  # dropped below when it is purelib
    if sys.prefix != sys.base_prefix:  # a virtual environment: its interpreter's own site-packages too
        base = sysconfig.get_paths(vars={"base": sys.base_prefix, "platbase": sys.base_prefix})["purelib"]
        found.append(Candidate("python-base-site-packages", Path(base)))
    found += [Candidate(f"system-{Path(p).name}", Path(p)) for p in sorted(glob.glob("/usr/lib/python3*"))]
    found.append(Candidate("usr-include", Path("/usr/include")))
    found.append(Candidate("usr-share", Path("/usr/share"), only_top=USR_SHARE_SOURCE_DIRS))
    found.append(Candidate("node-modules", Path("/usr/lib/node_modules")))
    found.append(Candidate("node-modules-local", Path("/usr/local/lib/node_modules")))
    for src in sorted(glob.glob("/usr/lib/jvm/*/src")):  # unpacked JDK sources (src.zip is not read)
        found.append(Candidate(f"jdk-src-{Path(src).parent.name}", Path(src)))
    unique: dict[Path, Candidate] = {}
    for cand in found:
        if cand.root.is_dir():
            unique.setdefault(cand.root.resolve(), cand)
    return list(unique.values())


def default_corpus(max_bytes: int | None = None) -> list[CorpusRoot]:
    """The machine's own code as labelled directory-tree inputs; with ``max_bytes``, a fixed sample."""
    return sample_corpus(discover_candidates(), max_bytes)


def default_inputs(max_bytes: int | None = None) -> list[InputSpec]:
    """``default_corpus`` as refine inputs; a clear error on a machine where no source tree was found."""
    from opencoder.errors import OpencoderError

    roots = default_corpus(max_bytes)
    if not roots:
        raise OpencoderError("no INPUT given and no source trees found on this machine: pass INPUT paths")
    return [r.input_spec() for r in roots]


def sample_corpus(candidates: Sequence[Candidate], max_bytes: int | None = None) -> list[CorpusRoot]:
    """List each candidate's regular files; with a cap, share it over the roots and sample each by path hash.

    Roots smaller than their share give the rest to the others (shares are settled smallest root first).
    Inside a root, files are taken in order of a hash of their relative path while they fit, so the sample
    spreads over the whole tree and a file larger than what is left is passed over rather than ending it.
    """
    roots = [c.root.resolve() for c in candidates]
    listings = [_list_files(c, set(roots) - {root}) for c, root in zip(candidates, roots, strict=True)]
    chosen: list[list[tuple[str, int]]] = list(listings)
    if max_bytes is not None:
        remaining = max_bytes
        by_size = sorted(range(len(listings)), key=lambda i: (sum(s for _, s in listings[i]), i))
        for left, i in enumerate(by_size):
            share = remaining // (len(by_size) - left)
            chosen[i] = _take_by_hash(listings[i], share)
            remaining -= sum(size for _, size in chosen[i])
    out = []
    for cand, root, files in zip(candidates, roots, chosen, strict=True):
        if files:
            names, sizes = zip(*sorted(files), strict=True)
            out.append(CorpusRoot(root, cand.label, names, sizes))
    return out


def _take_by_hash(files: list[tuple[str, int]], budget: int) -> list[tuple[str, int]]:
    """Files in order of their path hash, each kept while it fits in the budget."""
    taken = []
    for rel, size in sorted(files, key=lambda f: (xxhash.xxh64_intdigest(f[0].encode()), f[0])):
        if size <= budget:
            taken.append((rel, size))
            budget -= size
    return taken


def _list_files(cand: Candidate, other_roots: set[Path]) -> list[tuple[str, int]]:
    """(relative path, size) of the regular files under a candidate; symlinks, unreadable folders skipped."""
    root = cand.root.resolve()
    skipped = {str(p) for p in other_roots}
    out: list[tuple[str, int]] = []
    stack = [(str(root), "")]  # (folder, its path relative to the root with a trailing "/")
    while stack:
        folder, rel = stack.pop()
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    if entry.is_symlink():
                        continue
                    if entry.is_dir():
                        if entry.path not in skipped and _wanted_dir(cand, entry.name, at_top=not rel):
                            stack.append((entry.path, f"{rel}{entry.name}/"))
                    elif entry.is_file() and (rel or cand.only_top is None):
                        out.append((rel + entry.name, entry.stat().st_size))
        except OSError:
            continue  # unreadable folder: not part of the corpus
    return out


def _wanted_dir(cand: Candidate, name: str, at_top: bool) -> bool:
    """Whether to descend into a folder: not a cache, and allowed when it sits at the top of the tree."""
    if name in SKIPPED_DIR_NAMES:
        return False
    if not at_top:
        return True
    if name in cand.skip_top:
        return False
    return cand.only_top is None or any(fnmatch.fnmatchcase(name, pattern) for pattern in cand.only_top)
