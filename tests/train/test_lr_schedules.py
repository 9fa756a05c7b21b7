import math

import pytest

from opencoder.errors import OpencoderError
from opencoder.train.schedules import lr_at

PEAK, FINAL = 3e-4, 1e-5


def test_wsd_warmup_then_stable():
    wsd = {"kind": "wsd", "lr": PEAK, "total_steps": 10_000, "warmup_steps": 2000}
    assert lr_at(0, **wsd) == pytest.approx(1.5e-7)  # 3e-4 / 2000
    assert lr_at(999, **wsd) == pytest.approx(1.5e-4)
    assert lr_at(1999, **wsd) == pytest.approx(PEAK)
    assert lr_at(2000, **wsd) == PEAK
    assert lr_at(9999, **wsd) == PEAK


def test_wsd_with_decay_ends_at_final_lr():
    wsd = {"kind": "wsd", "lr": PEAK, "total_steps": 10_000, "warmup_steps": 2000, "decay_steps": 1000}
    assert lr_at(8999, **wsd, final_lr=FINAL) == PEAK
    assert lr_at(9000, **wsd, final_lr=FINAL) == pytest.approx(PEAK * (1 / 30) ** (1 / 1000))
    assert lr_at(9499, **wsd, final_lr=FINAL) == pytest.approx(PEAK / math.sqrt(30))  # half way, geometric
    assert lr_at(9999, **wsd, final_lr=FINAL) == pytest.approx(FINAL)


def test_exponential_anneal_over_the_papers_budget():
    # OpenCoder-1.5B annealed for 23,841 steps (anneal_iter_0023841), 3e-4 -> 1e-5.
    exp = {"kind": "exp", "lr": PEAK, "final_lr": FINAL, "total_steps": 23_841}
    assert lr_at(0, **exp) == PEAK
    assert lr_at(11_920, **exp) == pytest.approx(PEAK / math.sqrt(30))
    assert lr_at(23_840, **exp) == pytest.approx(FINAL)
    values = [lr_at(s, **exp) for s in range(0, 23_841, 1000)]
    assert values == sorted(values, reverse=True)


def test_cosine_for_sft():
    cos = {"kind": "cosine", "lr": 2e-5, "final_lr": 0.0, "total_steps": 1100, "warmup_steps": 100}
    assert lr_at(49, **cos) == pytest.approx(1e-5)
    assert lr_at(99, **cos) == pytest.approx(2e-5)
    assert lr_at(599, **cos) == pytest.approx(1e-5)  # progress 0.5
    assert lr_at(1099, **cos) == pytest.approx(0.0, abs=1e-20)


def test_unknown_schedule():
    with pytest.raises(OpencoderError, match="unknown schedule 'linear'"):
        lr_at(0, kind="linear", lr=1.0, total_steps=10)
