from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import ShapeError, UnknownNameError
from oculi.stereo import (
    bad_pixel_rate,
    compute_disparity,
    methods,
    round_disparities,
    sgbm,
    sgbm_wls,
)


def test_registry_names():
    assert methods.names() == ["sgbm", "sgbm-wls", "sgm"]
    with pytest.raises(UnknownNameError, match="sgbm"):
        methods.get("sgbn")


def test_sgbm_is_opencv_stereo_sgbm_in_pixels(dots):
    import cv2

    left, right, gt = dots
    ours = sgbm(left, right, 32)
    m = cv2.StereoSGBM_create(0, 32, 5, P1=8 * 25, P2=32 * 25, disp12MaxDiff=1,
                              uniquenessRatio=10, speckleWindowSize=100, speckleRange=2,
                              preFilterCap=63, mode=cv2.STEREO_SGBM_MODE_HH)
    raw = m.compute(left, right)
    ref = np.where(raw < 0, np.nan, raw / 16.0)
    assert np.allclose(ours, ref, equal_nan=True)
    assert bad_pixel_rate(ours[:, 40:], gt[:, 40:], 1.0) < 0.04  # measured 2.1 %


def test_max_disparity_rounds_up_to_16(dots):
    assert round_disparities(48) == (48, "")
    n, note = round_disparities(40)
    assert n == 48 and "rounded up to 48" in note
    left, right, _ = dots
    assert np.allclose(sgbm(left, right, 40), sgbm(left, right, 48), equal_nan=True)


def test_wls_is_dense_and_accurate(dots):
    left, right, gt = dots
    disp = sgbm_wls(np.dstack([left] * 3), np.dstack([right] * 3), 32)
    assert disp.dtype == np.float32 and disp.shape == gt.shape
    assert bad_pixel_rate(disp[:, 40:], gt[:, 40:], 1.0) < 0.05


def test_compute_disparity_dispatches_and_checks(dots):
    left, right, _ = dots
    a = compute_disparity(left, right, "sgbm", 32, fill=True)
    assert not np.isnan(a).any()
    with pytest.raises(ShapeError, match="left and right"):
        compute_disparity(left, right[:-1], "sgbm", 32)
