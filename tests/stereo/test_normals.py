from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import ParameterError, ShapeError
from oculi.stereo import (
    depth_normals,
    depth_to_points,
    normal_angle_difference,
    normals_to_color,
    read_depth_png,
)
from tests.conftest import shared_set

F = 100.0


def _plane_depth(n, d0=2.0, h=40, w=50):
    """Depth of the plane n . p = n . (0, 0, d0) seen by a pinhole camera with focal F."""
    v, u = np.mgrid[0:h, 0:w].astype(np.float64)
    rx, ry = (u - (w - 1) / 2) / F, (v - (h - 1) / 2) / F
    return (n[2] * d0 / (n[0] * rx + n[1] * ry + n[2])).astype(np.float32)


def test_a_tilted_plane_gives_its_normal():
    n = np.array([0.3, -0.2, -1.0])
    n /= np.linalg.norm(n)
    normals = depth_normals(_plane_depth(n), F)
    assert normals.dtype == np.float32 and normals.shape == (40, 50, 3)
    err = normal_angle_difference(normals, np.broadcast_to(n, normals.shape))
    assert np.nanmax(err) < 0.05  # degrees
    assert not np.isnan(normals).any()


def test_depth_edges_and_holes_are_handled():
    n = np.array([0.0, 0.0, -1.0])
    depth = _plane_depth(n)
    depth[:, 25:] = 3.0  # a step in depth: the fronto-parallel normal on both sides
    depth[10:13, 5:8] = 0  # no measurement
    depth[30, 40] = np.nan
    normals = depth_normals(depth, F)
    assert np.isnan(normals[11, 6]).all() and np.isnan(normals[30, 40]).all()
    err = normal_angle_difference(normals, np.broadcast_to(n, normals.shape))
    assert np.nanmax(err) < 0.1


def test_robust_fit_ignores_outliers(rng):
    n = np.array([0.2, 0.1, -1.0])
    n /= np.linalg.norm(n)
    depth = _plane_depth(n)
    spikes = rng.random(depth.shape) < 0.04
    depth[spikes] *= 1.03  # within the 5 % step, so kept by the depth gate
    normals = depth_normals(depth, F)
    err = normal_angle_difference(normals, np.broadcast_to(n, normals.shape))
    assert np.nanmedian(err[~spikes]) < 0.5


def test_colour_and_errors():
    normals = np.zeros((2, 2, 3), np.float32)
    normals[..., 2] = -1
    normals[1, 1] = np.nan
    rgb = normals_to_color(normals)
    assert rgb[0, 0].tolist() == [128, 128, 0] and rgb[1, 1].tolist() == [0, 0, 0]
    with pytest.raises(ShapeError, match="depth"):
        depth_normals(np.zeros((2, 2, 3)), F)
    with pytest.raises(ParameterError, match="window"):
        depth_normals(np.ones((9, 9)), F, window=4)


def test_tum_sensor_depth_against_a_smoothed_copy():
    import cv2

    depth = read_depth_png(shared_set("rgbd_depth") / "tum" / "TUM_depth.png")
    small = cv2.resize(depth, (160, 120), interpolation=cv2.INTER_NEAREST)
    fx = 525.0 / 4
    raw = depth_normals(small, fx, cx=319.5 / 4, cy=239.5 / 4)
    valid = small > 0
    smooth = np.where(valid, cv2.GaussianBlur(small, (0, 0), 1.0)
                      / np.maximum(cv2.GaussianBlur(valid.astype(np.float32), (0, 0), 1.0), 1e-6),
                      0).astype(np.float32)
    smoothed = depth_normals(smooth, fx, cx=319.5 / 4, cy=239.5 / 4)
    diff = normal_angle_difference(raw, smoothed)
    assert np.isfinite(diff).mean() > 0.6
    assert 1.0 < np.nanmean(diff) < 25.0
    # most normals face the camera (negative z) and points sit in front of it
    assert np.nanmean(raw[..., 2]) < -0.5
    assert np.nanmin(depth_to_points(small, fx)[..., 2]) > 0
