"""Scale-and-shift (and median-scale) alignment recovers known transforms exactly."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import DataError, ParameterError, ShapeError
from oculi.depth import align_scale, align_scale_shift


@pytest.fixture
def scene(rng):
    """A 40x50 depth map in metres (0.5..6) with unknown pixels (0 and NaN)."""
    gt = rng.uniform(0.5, 6.0, (40, 50)).astype(np.float32)
    gt[:5] = 0.0
    gt[10, 10:20] = np.nan
    return gt


def _inverse(gt: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(gt > 0, 1.0 / gt, 0.0)


def test_inverse_space_recovers_scale_and_shift(scene, rng):
    pred = 7.0 * _inverse(scene) - 0.3                  # relative inverse depth: 1/z = (p + 0.3) / 7
    pred[:5] = rng.uniform(-1, 1, (5, 50))              # garbage where gt is unknown
    depth, scale, shift = align_scale_shift(pred, scene)
    assert scale == pytest.approx(1 / 7, rel=1e-6)
    assert shift == pytest.approx(0.3 / 7, rel=1e-6)
    known = np.isfinite(scene) & (scene > 0)
    np.testing.assert_allclose(depth[known], scene[known], rtol=1e-5)
    assert depth.shape == scene.shape and depth.dtype == np.float32


def test_depth_space_recovers_scale_and_shift(scene):
    pred = (scene - 0.2) / 3.0
    aligned = align_scale_shift(pred, scene, space="depth")
    assert (aligned.scale, aligned.shift) == (pytest.approx(3.0), pytest.approx(0.2, abs=1e-6))
    known = np.isfinite(scene) & (scene > 0)
    np.testing.assert_allclose(aligned.depth[known], scene[known], rtol=1e-5)


def test_mask_and_nan_prediction_are_left_out(scene):
    pred = 2.0 * _inverse(scene) + 1.0
    pred[20:, :] = 100.0                               # outliers, masked out below
    pred[15, 0] = np.nan                               # a NaN prediction takes no part either
    mask = np.zeros(scene.shape, bool)
    mask[:20] = True
    depth, scale, shift = align_scale_shift(pred, scene, mask)
    assert (scale, shift) == (pytest.approx(0.5), pytest.approx(-0.5))
    assert np.isnan(depth[15, 0])
    # outside the mask the aligned value follows the fit: 1 / (0.5 * 100 - 0.5)
    assert depth[30, 0] == pytest.approx(1 / 49.5)


def test_non_positive_aligned_inverse_depth_is_infinitely_far():
    gt = np.array([[1.0, 0.5, 0.0]])
    pred = np.array([[1.0, 2.0, -5.0]])                # 1/gt = pred exactly
    depth = align_scale_shift(pred, gt).depth
    assert depth[0, :2].tolist() == pytest.approx([1.0, 0.5]) and np.isposinf(depth[0, 2])


def test_median_scale(scene):
    pred = 4.0 * _inverse(scene)
    aligned = align_scale(pred, scene)
    assert aligned.scale == pytest.approx(0.25) and aligned.shift == 0.0
    known = np.isfinite(scene) & (scene > 0)
    np.testing.assert_allclose(aligned.depth[known], scene[known], rtol=1e-5)
    depth_space = align_scale(scene * 0.1, scene, space="depth")
    assert depth_space.scale == pytest.approx(10.0)


def test_bad_inputs_are_named(scene):
    with pytest.raises(ShapeError, match="pred and gt"):
        align_scale_shift(np.ones((3, 3)), np.ones((3, 4)))
    with pytest.raises(DataError, match="constant"):
        align_scale_shift(np.ones((3, 3)), np.arange(1, 10.0).reshape(3, 3))
    with pytest.raises(DataError, match="usable pixel"):
        align_scale_shift(np.ones((3, 3)), np.zeros((3, 3)))
    with pytest.raises(ParameterError, match="space"):
        align_scale_shift(np.ones((3, 3)), np.ones((3, 3)), space="disparity")
    with pytest.raises(ShapeError, match="mask"):
        align_scale(scene, scene, np.ones((2, 2), bool))
