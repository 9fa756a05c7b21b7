"""Shingling and MinHash signatures on real code: token boundaries, short or empty documents, estimates."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest
import regex
import xxhash

from opencoder.engine import minhash

FIXTURES = Path(__file__).parents[1] / "fixtures" / "fuzzy"


def fixture(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def reference_tokens(text: str, unit: str) -> list[str]:
    """What the vectorised tokenizer must agree with, written the obvious way."""
    if unit == "words":
        return text.split()
    return regex.findall(r"[A-Za-z0-9_\x80-\U0010FFFF]+|[^\sA-Za-z0-9_\x80-\U0010FFFF]", text)


def token_set_hashes(tokens: list[str]) -> set[int]:
    return {xxhash.xxh3_64_intdigest(t.encode()) for t in tokens}


@pytest.mark.parametrize("unit", ["words", "code"])
def test_tokens_match_a_plain_tokenizer(unit: str) -> None:
    texts = [
        fixture("textwrap.py.txt"),
        "a=b+c;\t x_1 = 'é' ",
        "",
        "   \n",
        "tail-no-newline",
        "x" * 200 + " y",
    ]
    hashes, offsets = minhash.token_hashes(pa.array(texts, pa.large_string()), unit)
    for i, text in enumerate(texts):
        tokens = reference_tokens(text, unit)
        mine = hashes[offsets[i] : offsets[i + 1]]
        assert len(mine) == len(tokens), (unit, i)
        # equal tokens get equal hashes and different tokens different ones: same partition of positions
        first_seen: dict[str, int] = {}
        mine_first: dict[int, int] = {}
        for pos, (tok, h) in enumerate(zip(tokens, mine, strict=True)):
            assert first_seen.setdefault(tok, pos) == mine_first.setdefault(int(h), pos)


def test_tokens_never_span_documents() -> None:
    # the byte buffer of these two documents reads "abcdef": they must still be two tokens, one per document
    hashes, offsets = minhash.token_hashes(pa.array(["abc", "def", "abc"]), "words")
    assert offsets.tolist() == [0, 1, 2, 3]
    assert hashes[0] == hashes[2] != hashes[1]


def test_code_unit_ignores_spacing_words_unit_does_not() -> None:
    texts = pa.array(["total=price*(1+tax)", "total = price * ( 1 + tax )"])
    code = minhash.shingle_sets(texts, "code", 3)
    words = minhash.shingle_sets(texts, "words", 3)
    assert np.array_equal(code[0], code[1])
    assert minhash.jaccard(words[0], words[1]) == 0.0


def test_short_and_empty_documents() -> None:
    texts = pa.array(["one two", "one two", "two one", "", None, " \n\t ", "a b c d e", "a b c d e f"])
    ids, offsets = minhash.shingle_ids(texts, "words", 5)
    counts = np.diff(offsets).tolist()
    # shorter than one shingle: one shingle of all its tokens; no token: no shingle; n tokens: n - 4 shingles
    assert counts == [1, 1, 1, 0, 0, 0, 1, 2]
    assert ids[offsets[0]] == ids[offsets[1]] != ids[offsets[2]]  # order matters inside a shingle
    sigs, has = minhash.signatures(texts, unit="words", shingle_size=5, num_perm=64, seed=1)
    assert has.tolist() == [True, True, True, False, False, False, True, True]
    assert (sigs[~has] == np.iinfo(np.uint32).max).all()
    assert np.array_equal(sigs[0], sigs[1])


def test_long_tokens_are_hashed_by_all_their_bytes() -> None:
    base = "k" * 100
    texts = pa.array([base, base[:-1] + "x", "x" + base[1:], base[:60] + "y" + base[61:], base])
    hashes, _ = minhash.token_hashes(texts, "words")
    assert len(set(hashes.tolist())) == 4
    assert hashes[0] == hashes[4]


def plain_minhash(shingles: np.ndarray, num_perm: int, seed: int) -> np.ndarray:
    """Textbook MinHash: ``num_perm`` random affine maps modulo the prime 2^61 - 1, minimum over the set."""
    prime = (1 << 61) - 1
    rng = np.random.default_rng(seed)
    a = rng.integers(1, prime, num_perm, dtype=np.uint64).astype(object)
    b = rng.integers(0, prime, num_perm, dtype=np.uint64).astype(object)
    x = (shingles % np.uint64(prime)).astype(object)
    return np.array([min((ai * x + bi) % prime) for ai, bi in zip(a, b, strict=True)], dtype=object)


def test_signatures_estimate_true_jaccard_like_a_plain_minhash() -> None:
    old, new = fixture("heapq-3.10.py.txt"), fixture("heapq-3.11.py.txt")
    lines = new.splitlines()
    edited = "\n".join(lines[: len(lines) // 2] + lines[len(lines) // 2 + 40 :])  # 40 lines cut
    docs = [old, new, edited, fixture("textwrap.py.txt")]
    sets = minhash.shingle_sets(pa.array(docs), "words", 5)
    num_perm = 1024
    sigs, _ = minhash.signatures(pa.array(docs), unit="words", shingle_size=5, num_perm=num_perm, seed=7)
    plain = [plain_minhash(s, 256, seed=7) for s in sets]
    for i, j in [(0, 1), (1, 2), (0, 2), (0, 3)]:
        true = minhash.jaccard(sets[i], sets[j])
        estimate = float((sigs[i] == sigs[j]).mean())
        reference = float((plain[i] == plain[j]).mean())
        # 4 standard deviations of a MinHash estimate with k permutations: sqrt(J(1 - J) / k)
        assert abs(estimate - true) <= 4 * np.sqrt(true * (1 - true) / num_perm) + 2 / num_perm, (i, j)
        assert abs(reference - true) <= 4 * np.sqrt(true * (1 - true) / 256) + 2 / 256, (i, j)
    assert minhash.jaccard(sets[0], sets[1]) > 0.98  # real near-duplicates across Python versions
    assert minhash.jaccard(sets[0], sets[3]) < 0.05


def test_signatures_do_not_depend_on_batching() -> None:
    docs = [fixture(n) for n in ("textwrap.py.txt", "shlex.py.txt", "heapq-3.10.py.txt")] * 3
    whole, _ = minhash.signatures(pa.array(docs), unit="code", shingle_size=5, num_perm=128, seed=3)
    array = pa.array(docs)
    chunked = pa.chunked_array([array.slice(0, 4), array.slice(4)])  # the second chunk starts at an offset
    parts, _ = minhash.signatures(chunked, unit="code", shingle_size=5, num_perm=128, seed=3)
    assert np.array_equal(whole, parts)
    other_seed, _ = minhash.signatures(pa.array(docs), unit="code", shingle_size=5, num_perm=128, seed=4)
    assert not np.array_equal(whole, other_seed)


def test_band_keys_equal_exactly_when_band_values_are() -> None:
    rng = np.random.default_rng(0)
    sigs = rng.integers(0, 2**32, size=(3, 32), dtype=np.uint64).astype(np.uint32)
    sigs[1, :8] = sigs[0, :8]  # documents 0 and 1 agree on band 0 only
    sigs[2, 8:] = sigs[0, :24].reshape(-1)  # same values as document 0's bands 0-2, but in bands 1-3
    keys = minhash.band_keys(sigs, bands=4, rows=8, seed=5)
    assert keys.shape == (3, 4)
    assert keys[0, 0] == keys[1, 0]
    assert (keys[0, 1:] != keys[1, 1:]).all()
    assert not set(keys[2].tolist()) & set(keys[0].tolist())  # a band key includes the band number


def test_band_keys_see_every_row_and_its_place() -> None:
    """Documents one value apart, in each row of a band in turn (first and last included), get different keys
    in that band only; two rows swapped are a different band."""
    bands, rows = 4, 8
    base = np.random.default_rng(1).integers(0, 2**32, size=bands * rows, dtype=np.uint64).astype(np.uint32)
    variants = [base.copy()]
    for band in range(bands):
        for row in range(rows):
            one_off = base.copy()
            one_off[band * rows + row] ^= 1 << (row * 4 % 32)  # one bit flipped, a different bit per row
            variants.append(one_off)
    swapped = base.copy()
    swapped[[rows - 2, rows - 1]] = swapped[[rows - 1, rows - 2]]  # band 0's last two rows
    variants.append(swapped)
    keys = minhash.band_keys(np.stack(variants), bands=bands, rows=rows, seed=5)
    for i in range(bands * rows):
        band = i // rows
        assert keys[1 + i, band] != keys[0, band], f"band {band} ignores row {i % rows}"
        assert (np.delete(keys[1 + i], band) == np.delete(keys[0], band)).all()
    assert keys[-1, 0] != keys[0, 0] and (keys[-1, 1:] == keys[0, 1:]).all()


def test_unknown_unit_is_an_error() -> None:
    with pytest.raises(ValueError, match="unknown shingle unit 'chars'"):
        minhash.token_hashes(pa.array(["x"]), "chars")
