from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import ParameterError, ShapeError, UnknownNameError
from oculi.flow import compute_flow, endpoint_error, methods
from oculi.flow.synthetic import affine_pair
from tests.flow.conftest import interior, load_middlebury


def test_registry_lists_every_method():
    assert methods.names() == ["dis", "farneback", "hs", "lk", "tvl1"]
    with pytest.raises(UnknownNameError, match="did you mean 'tvl1'"):
        compute_flow(np.zeros((4, 4)), np.zeros((4, 4)), "tvl")


@pytest.mark.parametrize(("method", "limit"), [("farneback", 0.5), ("dis", 0.3), ("tvl1", 0.3)])
def test_opencv_methods_on_known_motion(textured, method, limit):
    f1, f2, gt = affine_pair(textured, rotation=1.0, shift=(3.0, -2.0))
    flow = compute_flow(f1, f2, method)
    assert flow.shape == (*textured.shape, 2) and flow.dtype == np.float32
    assert endpoint_error(interior(flow, 16), interior(gt, 16)) < limit


def test_opencv_methods_match_direct_calls(textured):
    import cv2

    f1, f2, _ = affine_pair(textured, shift=(2.0, 1.0))
    a, b = (np.rint(f * 255).astype(np.uint8) for f in (f1, f2))
    ref = cv2.DISOpticalFlow_create(cv2.DISOPTICAL_FLOW_PRESET_MEDIUM).calc(a, b, None)
    np.testing.assert_allclose(compute_flow(a, b, "dis"), ref, atol=1e-5)


def test_dis_on_rubberwhale():
    a, b, gt = load_middlebury("RubberWhale")
    assert endpoint_error(compute_flow(a, b, "dis"), gt) < 0.45


def test_bad_inputs(textured):
    rgb = np.repeat(textured[..., None], 3, axis=2)
    for name in ("farneback", "dis", "tvl1"):
        with pytest.raises(ShapeError, match="channel"):
            compute_flow(textured, rgb, name)
        with pytest.raises(ShapeError, match="same size"):
            compute_flow(textured, textured[:, :-2], name)
    with pytest.raises(ShapeError, match="12 pixels"):
        compute_flow(textured[:5, :5], textured[:5, :5], "dis")
    with pytest.raises(ParameterError, match="preset"):
        compute_flow(textured, textured, "dis", preset="slow")


@pytest.mark.parametrize("method", ["farneback", "dis", "tvl1", "lk", "hs"])
def test_identical_frames_give_near_zero_flow(textured, method):
    flow = compute_flow(textured, textured, method)
    assert np.abs(flow).mean() < 0.01
