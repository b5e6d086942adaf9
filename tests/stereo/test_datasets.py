from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import ImageReadError
from oculi.stereo import load_motorcycle, read_depth_png, visible_in_right
from tests.conftest import shared_set
from tests.stereo.conftest import middlebury


def _warp_gain(pair, factor: float = 1.0) -> float:
    """Grey difference of left vs right, over left vs right warped by the ground truth."""
    import cv2

    gl = pair.left.mean(axis=2).astype(np.float32)
    gr = pair.right.mean(axis=2).astype(np.float32)
    h, w = gl.shape
    ok = np.isfinite(pair.disparity)
    xs = np.arange(w, dtype=np.float32)[None].repeat(h, 0) - np.nan_to_num(pair.disparity) * factor
    ys = np.arange(h, dtype=np.float32)[:, None].repeat(w, 1)
    warped = cv2.remap(gr, xs, ys, cv2.INTER_LINEAR)
    return float(np.abs(gl - gr)[ok].mean() / np.abs(gl - warped)[ok].mean())


@pytest.mark.parametrize("name", ["cones", "teddy"])
def test_middlebury_2003_scale_and_truth(name):
    pair = middlebury(name)
    assert pair.left.shape == (375, 450, 3) and pair.max_disparity == 64
    assert 50 < np.nanmax(pair.disparity) < 62  # stored x 4 in the PNG
    gain = _warp_gain(pair)  # measured 2.4 (cones), 3.3 (teddy) over all known pixels
    assert gain > 2
    assert gain > 1.3 * max(_warp_gain(pair, 0.9), _warp_gain(pair, 1.1))


def test_motorcycle_and_rescaling():
    full = load_motorcycle()
    half = load_motorcycle(scale=0.5)
    assert full.left.shape == (500, 741, 3) and np.isnan(full.disparity).any()
    assert half.left.shape == (250, 370, 3)
    assert np.nanmax(half.disparity) == pytest.approx(np.nanmax(full.disparity) / 2, rel=0.01)
    assert _warp_gain(half) > 1.3 * _warp_gain(half, 0.9)


def test_tum_depth_png_in_metres(tmp_path):
    path = shared_set("rgbd_depth") / "tum"
    depth = read_depth_png(path / "TUM_depth.png")
    ref = np.load(path / "TUM_depth_m.npy")
    assert np.allclose(depth, ref)
    with pytest.raises(ImageReadError, match=r"disp2\.png"):
        middlebury_missing = tmp_path
        from oculi.stereo import read_middlebury_2003

        read_middlebury_2003(middlebury_missing)


def test_visible_in_right_hand_case_and_cones():
    left = np.array([[1, 1, 3, 3, 1, 1]], np.float32)
    # right view: pixel x sees left x + d; right pixel 0 sees the raised block (left 3, d = 3),
    # which hides left pixel 1 (d = 1 -> right 0); left 0 and 2 fall outside the right image
    right = np.array([[3, 1, 1, 1, 1, 1]], np.float32)
    vis = visible_in_right(left, right)
    assert vis.tolist() == [[False, False, False, True, True, True]]
    pair = middlebury("cones")
    assert 0.8 < pair.nonoccluded.mean() < 0.9  # measured 0.85 (occlusions and the left band)
    half = middlebury("cones", 0.5)
    assert half.nonoccluded.shape == half.disparity.shape
