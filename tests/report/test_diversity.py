"""The diversity measure on real code: copies shrink a set's spread, different code widens it."""

from __future__ import annotations

import sysconfig
from pathlib import Path

import numpy as np

from opencoder.report.diversity import embed, pca_2d, sample_ids, spread

STDLIB = Path(sysconfig.get_paths()["stdlib"])
TEXTS = [p.read_text("utf-8") for p in sorted(STDLIB.glob("[a-m]*.py"))[:40]]


def test_embeddings_are_unit_rows_and_equal_for_equal_texts():
    rows = embed([*TEXTS[:5], TEXTS[0]])
    assert np.allclose(np.linalg.norm(rows, axis=1), 1.0)
    assert np.allclose(rows[0], rows[5])


def test_a_set_of_copies_is_less_spread_than_distinct_code():
    rows = embed(TEXTS + [TEXTS[0]] * 20)
    assert spread(rows[-20:]) < 1e-12 < spread(rows[:20])
    mixed = np.vstack([rows[:10], rows[-10:]])
    assert spread(mixed) < spread(rows[:20])


def test_pca_keeps_two_coordinates_and_the_variance_share():
    coords, explained = pca_2d(embed(TEXTS))
    assert coords.shape == (len(TEXTS), 2) and 0 < explained <= 1
    assert np.allclose(coords.mean(axis=0), 0.0, atol=1e-9)


def test_samples_are_deterministic_and_sized():
    ids = [f"doc{i}" for i in range(100)]
    assert sample_ids(ids, 10, 1) == sample_ids(ids, 10, 1) != sample_ids(ids, 10, 2)
    assert len(sample_ids(ids, 10, 1)) == 10 and sample_ids(ids, 500, 1) == list(range(100))
