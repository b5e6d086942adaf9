from __future__ import annotations

import numpy as np
import pytest
from scipy import ndimage

from oculi.core.errors import ShapeError
from oculi.flow import warp_image
from oculi.flow.synthetic import affine_pair
from tests.flow.conftest import interior


def test_integer_shift_matches_roll(rng):
    image = rng.random((20, 30)).astype(np.float32)
    flow = np.zeros((20, 30, 2), np.float32)
    flow[..., 0], flow[..., 1] = 3, -2
    out = warp_image(image, flow, interpolation="nearest")
    expected = np.roll(image, (2, -3), axis=(0, 1))
    np.testing.assert_array_equal(out[2:, :-3], expected[2:, :-3])


def test_linear_matches_scipy(rng):
    image = rng.random((24, 32)).astype(np.float32)
    flow = rng.uniform(-2, 2, (24, 32, 2)).astype(np.float32)
    ys, xs = np.mgrid[0:24, 0:32].astype(np.float32)
    ref = ndimage.map_coordinates(image, [ys + flow[..., 1], xs + flow[..., 0]], order=1,
                                  mode="nearest")
    out, inside = warp_image(image, flow, return_mask=True)
    np.testing.assert_allclose(out[inside], ref[inside], atol=2e-3)
    assert not inside.all()


def test_warping_frame2_by_true_flow_recovers_frame1(textured):
    f1, f2, flow = affine_pair(textured, rotation=2.0, scale=1.02, shift=(3.0, -1.5))
    back = warp_image(f2, flow, interpolation="cubic")
    err = np.abs(interior(back) - interior(f1)).mean()
    assert err < 0.1 * np.abs(interior(f2) - interior(f1)).mean()


def test_colour_and_dtype_kept(rng):
    image = rng.integers(0, 255, (10, 12, 3), dtype=np.uint8)
    out = warp_image(image, np.zeros((10, 12, 2), np.float32))
    assert out.dtype == np.uint8
    np.testing.assert_array_equal(out, image)


def test_flow_of_wrong_shape():
    with pytest.raises(ShapeError, match="10x12"):
        warp_image(np.zeros((10, 12), np.float32), np.zeros((10, 11, 2), np.float32))
    with pytest.raises(ShapeError, match="HxWx2"):
        warp_image(np.zeros((10, 12), np.float32), np.zeros((10, 12), np.float32))
