from __future__ import annotations

import cv2
import numpy as np
import pytest

from oculi.core.errors import ParameterError, ShapeError
from oculi.flow import endpoint_error, lucas_kanade, track_points
from oculi.flow.synthetic import affine_flow, affine_pair
from tests.flow.conftest import interior, load_middlebury


def test_dense_lk_recovers_affine_motion(textured):
    f1, f2, gt = affine_pair(textured, rotation=1.0, shift=(5.0, -3.0))
    flow = lucas_kanade(f1, f2)
    assert flow.shape == (*textured.shape, 2) and flow.dtype == np.float32
    assert endpoint_error(interior(flow), interior(gt)) < 0.25


def test_dense_lk_identical_frames(textured):
    assert np.abs(lucas_kanade(textured, textured)).max() < 1e-3


def test_dense_lk_on_rubberwhale():
    a, b, gt = load_middlebury("RubberWhale")
    assert endpoint_error(lucas_kanade(a, b), gt) < 0.6


def test_sparse_tracker_follows_known_motion(textured):
    f1, f2, _ = affine_pair(textured, rotation=1.0, scale=1.01, shift=(4.0, 2.5))
    _, matrix = affine_flow(*textured.shape, rotation=1.0, scale=1.01, shift=(4.0, 2.5))
    u8 = (f1 * 255).astype(np.uint8)
    corners = cv2.goodFeaturesToTrack(u8, 60, 0.01, 5).reshape(-1, 2)
    corners = corners[(corners[:, 0] > 15) & (corners[:, 0] < 145)
                      & (corners[:, 1] > 15) & (corners[:, 1] < 105)]
    moved, ok = track_points(f1, f2, corners)
    assert ok.mean() > 0.8
    expected = corners @ matrix[:, :2].T + matrix[:, 2]
    err = np.linalg.norm(moved[ok] - expected[ok], axis=1)
    assert np.median(err) < 0.1
    assert np.isnan(moved[~ok]).all()


def test_sparse_tracker_inputs(textured):
    with pytest.raises(ShapeError, match="Nx2"):
        track_points(textured, textured, np.zeros((5, 3)))
    pts, ok = track_points(textured, textured, np.zeros((0, 2)))
    assert pts.shape == (0, 2) and ok.shape == (0,)
    with pytest.raises(ShapeError, match="same size"):
        track_points(textured, textured[:50], np.zeros((1, 2)))


@pytest.mark.parametrize("bad", [{"levels": 0}, {"warps": 0}, {"min_size": 0},
                                 {"pyramid_scale": 1.0}, {"median_size": 4}, {"sigma": 0}])
def test_dense_lk_bad_settings(textured, bad):
    with pytest.raises(ParameterError, match=next(iter(bad))):
        lucas_kanade(textured, textured, **bad)
