"""Depth metrics against a hand computation and torchmetrics."""

from __future__ import annotations

import math

import numpy as np
import pytest

from oculi.core.errors import DataError, ParameterError
from oculi.depth import depth_metrics

GT = np.array([[1.0, 2.0, 4.0], [0.0, np.nan, 8.0]])   # 4 known pixels
PRED = np.array([[1.1, 1.5, 4.0], [3.0, 3.0, 12.0]])


def test_hand_computed_values():
    m = depth_metrics(PRED, GT)
    p, g = np.array([1.1, 1.5, 4.0, 12.0]), np.array([1.0, 2.0, 4.0, 8.0])
    assert m.n_valid == 4
    assert m.abs_rel == pytest.approx((0.1 + 0.25 + 0 + 0.5) / 4)
    assert m.sq_rel == pytest.approx((0.01 / 1 + 0.25 / 2 + 0 + 16 / 8) / 4)
    assert m.rmse == pytest.approx(math.sqrt((0.01 + 0.25 + 0 + 16) / 4))
    assert m.rmse_log == pytest.approx(math.sqrt(np.mean(np.log(p / g) ** 2)))
    # ratios max(p/g, g/p): 1.1, 1.333, 1, 1.5 -> below 1.25: 2; below 1.5625: 4
    assert (m.delta1, m.delta2, m.delta3) == (0.5, 1.0, 1.0)


def test_matches_torchmetrics():
    torch = pytest.importorskip("torch")
    tm = pytest.importorskip("torchmetrics.functional")
    rng = np.random.default_rng(3)
    g = rng.uniform(0.5, 10, 500)
    p = g * rng.uniform(0.7, 1.4, 500)
    m = depth_metrics(p[None], g[None])
    tp, tg = torch.from_numpy(p), torch.from_numpy(g)
    assert m.abs_rel == pytest.approx(float(tm.mean_absolute_percentage_error(tp, tg)), rel=1e-9)
    assert m.rmse == pytest.approx(float(tm.mean_squared_error(tp, tg, squared=False)), rel=1e-9)


def test_range_mask_and_clipping():
    m = depth_metrics(PRED, GT, max_depth=5.0)           # gt 8 is out of range
    assert m.n_valid == 3
    mask = np.array([[True, False, False], [True, True, True]])
    assert depth_metrics(PRED, GT, mask).n_valid == 2    # gt 1 and 8
    inf = np.array([[np.inf, 2.0]])
    clipped = depth_metrics(inf, np.array([[4.0, 2.0]]), max_depth=5.0)
    assert clipped.abs_rel == pytest.approx(0.25 / 2)    # inf -> 5: |5 - 4| / 4 on one pixel


def test_bad_inputs_are_named():
    with pytest.raises(DataError, match="NaN or infinite"):
        depth_metrics(np.array([[np.nan, 1.0]]), np.array([[1.0, 1.0]]))
    with pytest.raises(DataError, match="no pixel"):
        depth_metrics(np.ones((2, 2)), np.zeros((2, 2)))
    with pytest.raises(ParameterError, match="max_depth"):
        depth_metrics(np.ones((2, 2)), np.ones((2, 2)), min_depth=1.0, max_depth=0.5)
