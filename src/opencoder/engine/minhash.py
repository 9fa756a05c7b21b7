"""MinHash signatures of whole documents: shingle ids with numpy, permutations with rensa's compiled kernel.

Profiling showed that building Python shingle strings caps at ~32 MB/s, so tokens are never made into
Python objects here. A batch's UTF-8 bytes are classified with vectorised byte comparisons, token
boundaries come from one pass, each token is hashed from its bytes read eight at a time, and
``shingle_size`` consecutive token hashes are combined into one 64-bit shingle id. rensa turns the flat
shingle ids of many documents into signatures in one call.

Shingle units (``unit``):
- ``words``: maximal runs of non-whitespace bytes (``text.split()``); punctuation stays glued to its word.
- ``code``: identifiers and numbers (runs of ``[A-Za-z0-9_]`` and non-ASCII bytes) are one token each,
  every other non-space character is a token of its own, so ``a=b`` and ``a = b`` give the same tokens.

A document with fewer tokens than ``shingle_size`` (but at least one) becomes a single shingle of all its
tokens; a document with no token (empty or whitespace only) has no shingle and therefore no signature.
"""

from __future__ import annotations

import array
import itertools
from collections.abc import Iterator
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import rensa
import xxhash

from opencoder.engine.stage import one_array

ShingleUnit = Literal["words", "code"]
SHINGLE_UNITS: tuple[str, ...] = ("words", "code")

CHUNK_BYTES = 256_000  # documents are processed in groups of about this many bytes: arrays stay in cache
_U64 = np.uint64
_LOW_BYTES = np.array([(1 << (8 * k)) - 1 for k in range(8)] + [2**64 - 1], dtype=np.uint64)
_LONG_TOKEN = 64  # tokens longer than this are hashed with xxh3 one by one (rare: long literals, base64)


def mix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, in place on a uint64 array: spreads every input bit over the output."""
    x ^= x >> _U64(30)
    x *= _U64(0xBF58476D1CE4E5B9)
    x ^= x >> _U64(27)
    x *= _U64(0x94D049BB133111EB)
    x ^= x >> _U64(31)
    return x


def _byte_classes(data: np.ndarray, unit: str) -> np.ndarray:
    """0 = separator, 1 = byte of a multi-byte token run, 2 = a token on its own (``code`` punctuation)."""
    space = (data == 32) | (np.subtract(data, 9, dtype=np.uint8) < 5)  # \t \n \v \f \r and ' '
    if unit == "words":
        return (~space).view(np.uint8)
    if unit == "code":
        letter = np.subtract(data | np.uint8(0x20), 97, dtype=np.uint8) < 26
        word = letter | (np.subtract(data, 48, dtype=np.uint8) < 10) | (data == 95) | (data >= 128)
        return np.where(word, np.uint8(1), np.where(space, np.uint8(0), np.uint8(2)))
    raise ValueError(f"unknown shingle unit {unit!r}; expected one of {', '.join(SHINGLE_UNITS)}")


def _bytes_and_offsets(texts: pa.Array | pa.ChunkedArray) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of ``texts`` (nulls read as empty), padded with 16 zero bytes; int64 offsets from 0."""
    texts = pc.fill_null(one_array(texts).cast(pa.large_string()), "")
    offsets = np.frombuffer(texts.buffers()[1], dtype=np.int64)[texts.offset : texts.offset + len(texts) + 1]
    raw = np.frombuffer(texts.buffers()[2], dtype=np.uint8) if offsets[-1] > offsets[0] else np.zeros(0, np.uint8)
    data = np.zeros(int(offsets[-1] - offsets[0]) + 16, dtype=np.uint8)
    data[: len(data) - 16] = raw[offsets[0] : offsets[-1]]
    return data, offsets - offsets[0]


def token_hashes(texts: pa.Array | pa.ChunkedArray, unit: str) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every token of every document, in order, and per-document offsets into them.

    Document ``i``'s tokens are ``hashes[offsets[i]:offsets[i + 1]]``.
    """
    data, offsets = _bytes_and_offsets(texts)
    n = len(data) - 16
    cls = _byte_classes(data[:n], unit)
    run = cls == 1
    cont = run[1:] & run[:-1]  # cont[i]: byte i+1 continues the token of byte i
    doc_starts = offsets[1:-1]
    cont[doc_starts[(doc_starts > 0) & (doc_starts < n)] - 1] = False  # tokens never span two documents
    is_token = cls > 0
    start = is_token.copy()
    start[1:] &= ~cont
    end = is_token
    end[:-1] &= ~cont
    starts = np.flatnonzero(start)
    lengths = np.flatnonzero(end) + 1 - starts
    words = np.ndarray(shape=(n + 8,), dtype=np.uint64, buffer=data, strides=(1,))  # 8 bytes from any position
    hashes = words[starts] & _LOW_BYTES[np.minimum(lengths, 8)]
    hashes ^= lengths.astype(np.uint64) << _U64(56)
    mix64(hashes)
    longer = np.flatnonzero(lengths > 8)
    done = 8
    while len(longer) and done < _LONG_TOKEN:
        rest = lengths[longer] - done
        hashes[longer] = mix64(hashes[longer] ^ (words[starts[longer] + done] & _LOW_BYTES[np.minimum(rest, 8)]))
        longer = longer[rest > 8]
        done += 8
    for i in longer:  # still longer than _LONG_TOKEN bytes
        hashes[i] ^= _U64(xxhash.xxh3_64_intdigest(data[starts[i] : starts[i] + lengths[i]].tobytes()))
    return hashes, np.searchsorted(starts, offsets)


def _shingle_weights(size: int) -> np.ndarray:
    return mix64(np.arange(1, size + 1, dtype=np.uint64)) | _U64(1)


def shingle_ids(texts: pa.Array | pa.ChunkedArray, unit: str, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Flat uint64 ids of every ``size``-token shingle of every document, and per-document offsets into them.

    Document ``i``'s shingles are ``ids[offsets[i]:offsets[i + 1]]`` (repeats included: MinHash ignores them).
    """
    return combine_shingles(*token_hashes(texts, unit), size)


def combine_shingles(hashes: np.ndarray, token_offsets: np.ndarray, size: int) -> tuple[np.ndarray, np.ndarray]:
    """Shingle ids from per-document token hashes (``token_hashes``' output, possibly rewritten first, e.g. with
    identifiers replaced by one placeholder) and per-document offsets into the ids."""
    tokens = np.diff(token_offsets)
    # a document of n tokens has n - size + 1 shingles, or one of all its tokens when 0 < n < size
    per_doc = np.where(tokens >= size, tokens - size + 1, np.minimum(tokens, 1))
    offsets = np.zeros(len(tokens) + 1, dtype=np.int64)
    np.cumsum(per_doc, out=offsets[1:])
    shingle_start = np.arange(offsets[-1]) + np.repeat(token_offsets[:-1] - offsets[:-1], per_doc)
    weights = _shingle_weights(size)
    padded = np.concatenate([hashes, np.zeros(size, dtype=np.uint64)])
    ids = padded[shingle_start] * weights[0]
    for k in range(1, size):
        ids += padded[shingle_start + k] * weights[k]
    short = np.flatnonzero((tokens > 0) & (tokens < size))  # their one shingle must not read the next document
    for k in range(1, size):
        over = short[tokens[short] <= k]
        ids[offsets[over]] -= padded[token_offsets[over] + k] * weights[k]
    mix64(ids)
    return ids, offsets


def shingle_sets(texts: pa.Array | pa.ChunkedArray, unit: str, size: int) -> list[np.ndarray]:
    """Each document's set of shingle ids (sorted, unique): what true Jaccard similarity is computed on."""
    ids, offsets = shingle_ids(texts, unit, size)
    return [np.unique(ids[offsets[i] : offsets[i + 1]]) for i in range(len(texts))]


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """True Jaccard similarity of two sorted unique id arrays (two empty sets count as identical)."""
    union = len(a) + len(b)
    if union == 0:
        return 1.0
    common = len(np.intersect1d(a, b, assume_unique=True))
    return common / (union - common)


def chunks(texts: pa.Array) -> Iterator[pa.Array]:
    """Consecutive slices of about CHUNK_BYTES each (a longer document is a slice of its own)."""
    sizes = pc.fill_null(pc.binary_length(texts), 0).to_numpy(zero_copy_only=False).astype(np.int64)
    ends = np.cumsum(sizes)
    start = 0
    while start < len(texts):
        base = ends[start - 1] if start else 0
        stop = max(int(np.searchsorted(ends, base + CHUNK_BYTES, side="right")), start + 1)
        yield texts.slice(start, stop - start)
        start = stop


def signatures(
    texts: pa.Array | pa.ChunkedArray, *, unit: str, shingle_size: int, num_perm: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures (n × num_perm, uint32) and a mask of documents that have at least one shingle.

    Rows of documents without shingles are all 0xFFFFFFFF and must not be bucketed.
    """
    arrays = texts.chunks if isinstance(texts, pa.ChunkedArray) else [texts]
    sigs: list[np.ndarray] = []
    has_shingles: list[np.ndarray] = []
    for part in arrays:
        for chunk in chunks(part):
            sig, has = digest(*shingle_ids(chunk, unit, shingle_size), num_perm=num_perm, seed=seed)
            sigs.append(sig)
            has_shingles.append(has)
    if not sigs:
        return np.zeros((0, num_perm), dtype=np.uint32), np.zeros(0, dtype=bool)
    return np.concatenate(sigs), np.concatenate(has_shingles)


def digest(ids: np.ndarray, offsets: np.ndarray, *, num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """MinHash signatures (uint32, one row per document) of flat shingle ids, and which documents have any."""
    matrix = rensa.RMinHash.digest_matrix_from_flat_token_hashes(ids, offsets.astype(np.uint64), num_perm, seed)
    # rensa hands the matrix out as lists of ints; array.array reads them ~4x faster than numpy does
    values = array.array("I", itertools.chain.from_iterable(matrix.to_rows()))
    return np.frombuffer(values, dtype=np.uint32).reshape(len(offsets) - 1, num_perm), np.diff(offsets) > 0


def band_keys(sigs: np.ndarray, *, bands: int, rows: int, seed: int) -> np.ndarray:
    """One uint64 key per (document, band): equal keys <=> equal band values (up to 64-bit hash collisions).

    Two independent multiply-add hashes of the band's ``rows`` values are combined and mixed with the band
    number, so the same values in different bands never share a key.
    """
    rng = np.random.default_rng([seed, bands, rows])
    mult = rng.integers(0, 2**64, size=(2, rows), dtype=np.uint64, endpoint=False) | _U64(1)
    band_rows = sigs[:, : bands * rows].reshape(len(sigs) * bands, rows).astype(np.uint64)
    hashed = band_rows @ mult.T  # integer matmul wraps modulo 2^64, like the sums it stands for
    first, second = hashed[:, 0].reshape(len(sigs), bands), hashed[:, 1].reshape(len(sigs), bands)
    salt = mix64(np.arange(1, bands + 1, dtype=np.uint64) + _U64(seed & (2**64 - 1)))
    return mix64(mix64(first ^ salt) + second)
