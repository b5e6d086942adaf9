from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import ShapeError
from oculi.stereo import (
    colorize_disparity,
    disparity_to_depth,
    disparity_to_depth_matrix,
    disparity_to_png16,
    disparity_to_points,
    read_ply_points,
    write_ply,
)


def test_points_match_opencv_reproject_image_to_3d(rng):
    import cv2

    disp = rng.uniform(2, 40, (30, 40)).astype(np.float32)
    disp[3, 4] = np.nan
    f, b, cx, cy = 500.0, 0.12, 19.0, 14.5
    pts = disparity_to_points(disp, f, b, cx, cy)
    q = disparity_to_depth_matrix(f, b, cx, cy)
    ref = cv2.reprojectImageTo3D(np.nan_to_num(disp), q)
    ok = np.isfinite(disp)
    assert np.allclose(pts[ok], ref[ok], rtol=1e-5, atol=1e-6)
    assert np.isnan(pts[3, 4]).all()
    depth = disparity_to_depth(disp, f, b)
    assert np.allclose(depth[ok], f * b / disp[ok], rtol=1e-6)


def test_ply_round_trip(tmp_path, rng):
    pts = rng.normal(size=(10, 12, 3)).astype(np.float32)
    pts[0, 0] = np.nan
    colors = rng.integers(0, 256, (10, 12, 3)).astype(np.uint8)
    path = write_ply(tmp_path / "cloud.ply", pts, colors)
    back = read_ply_points(path)
    assert back.shape == (119, 3)
    assert np.array_equal(back, pts.reshape(-1, 3)[1:])
    assert b"property uchar red" in path.read_bytes()[:300]
    with pytest.raises(ShapeError, match="points: expected Nx3"):
        write_ply(tmp_path / "bad.ply", np.ones((4, 2)))
    with pytest.raises(ShapeError, match="colors: expected 120 RGB rows"):
        write_ply(tmp_path / "bad.ply", pts, colors[..., :2])


def test_colorize_and_png16():
    disp = np.array([[0.0, 10.0], [20.0, np.nan]], np.float32)
    rgb = colorize_disparity(disp, 20.0)
    assert rgb.shape == (2, 2, 3) and rgb.dtype == np.uint8
    assert rgb[1, 1].tolist() == [0, 0, 0]
    assert rgb[1, 0, 0] > rgb[1, 0, 2]  # turbo: the nearest is red
    png = disparity_to_png16(disp)
    assert png.tolist() == [[0, 2560], [5120, 0]]
