from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import DataError, ShapeError
from oculi.flow import (
    angular_error,
    angular_error_map,
    endpoint_error,
    endpoint_error_map,
    flow_errors,
)


def test_endpoint_error_known_values():
    gt = np.zeros((2, 2, 2), np.float32)
    est = gt.copy()
    est[0, 0] = (3, 4)  # error 5 at one pixel, 0 at three
    assert endpoint_error(est, gt) == pytest.approx(1.25)
    assert endpoint_error_map(est, gt)[0, 0] == pytest.approx(5.0)


def test_angular_error_known_values():
    gt = np.zeros((1, 1, 2), np.float32)
    est = np.array([[[1.0, 0.0]]], np.float32)
    # angle between (1, 0, 1) and (0, 0, 1) is 45 degrees
    assert angular_error(est, gt) == pytest.approx(45.0, abs=1e-4)
    assert angular_error_map(gt, gt)[0, 0] == pytest.approx(0.0, abs=1e-3)


def test_unknown_pixels_are_ignored():
    gt = np.zeros((1, 2, 2), np.float32)
    gt[0, 1] = np.nan
    est = np.array([[[0.0, 1.0], [100.0, 100.0]]], np.float32)
    assert endpoint_error(est, gt) == pytest.approx(1.0)
    gt_big = gt.copy()
    gt_big[0, 1] = 1.7e9  # raw Middlebury unknown marker
    assert endpoint_error(est, gt_big) == pytest.approx(1.0)
    stats = flow_errors(est, gt)
    assert stats["known"] == pytest.approx(0.5)
    assert stats["r0.5"] == pytest.approx(100.0)
    assert stats["r3"] == pytest.approx(0.0)
    with pytest.raises(DataError, match="no pixel"):
        endpoint_error(est, np.full_like(gt, np.nan))


def test_shape_errors():
    with pytest.raises(ShapeError, match="match"):
        endpoint_error(np.zeros((3, 3, 2), np.float32), np.zeros((4, 3, 2), np.float32))
    with pytest.raises(ShapeError, match="HxWx2"):
        endpoint_error(np.zeros((3, 3), np.float32), np.zeros((3, 3, 2), np.float32))
