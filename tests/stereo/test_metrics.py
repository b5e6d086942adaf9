from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import ShapeError
from oculi.stereo import bad_pixel_rate, disparity_errors


def test_hand_case():
    gt = np.array([[10, 10, 10, 0], [10, 10, np.nan, 10]], np.float32)  # 0 and NaN unknown
    est = np.array([[10.5, 11.5, 13, 99], [np.nan, 15, 5, 10]], np.float32)
    # known: 10.5 (0.5), 11.5 (1.5), 13 (3), NaN (bad), 15 (5), 10 (0)
    e = disparity_errors(est, gt)
    assert e["bad1"] == pytest.approx(4 / 6)
    assert e["bad2"] == pytest.approx(3 / 6)
    assert e["bad4"] == pytest.approx(2 / 6)
    assert e["epe"] == pytest.approx((0.5 + 1.5 + 3 + 5 + 0) / 5)
    assert e["density"] == pytest.approx(5 / 6)
    mask = np.zeros_like(gt, bool)
    mask[0] = True
    assert bad_pixel_rate(est, gt, 2.0, mask) == pytest.approx(1 / 3)
    with pytest.raises(ShapeError, match="disparity and ground_truth"):
        bad_pixel_rate(est, gt[:, :2])
