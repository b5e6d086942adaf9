import numpy as np
import pytest

from oculi.core.errors import NoMatchError
from oculi.sfm import Camera, solve_pnp
from tests.sfm import CAM, angle_deg, rot


def _data(n=150, noise=0.5, outliers=0.3, seed=0, cam=CAM):
    rng = np.random.default_rng(seed)
    X = rng.uniform([-3, -2, -2], [3, 2, 2], (n, 3))
    r, t = rot([0.3, 1, -0.2], 20.0), np.array([0.3, -0.2, 9.0])
    xy = cam.project(X @ r.T + t) + rng.normal(0, noise, (n, 2))
    bad = np.zeros(n, bool)
    bad[: int(outliers * n)] = True
    xy[bad] = rng.uniform([0, 0], [640, 480], (int(bad.sum()), 2))
    return X, xy, r, t, bad


def test_pnp_vs_ground_truth_with_outliers():
    X, xy, r, t, bad = _data()
    res = solve_pnp(X, xy, CAM)
    assert angle_deg(res.R, r) < 0.2           # measured 0.07 deg
    assert np.linalg.norm(res.t - t) < 0.05    # measured 0.003 (distance 9)
    assert res.inliers[~bad].mean() > 0.97 and res.inliers[bad].sum() <= 2
    assert np.median(res.errors[res.inliers]) < 0.8


def test_pnp_with_distortion():
    cam = Camera(700.0, 700.0, 320.0, 240.0, k1=-0.15, k2=0.02)
    X, xy, r, t, _ = _data(outliers=0.0, noise=0.3, cam=cam)
    res = solve_pnp(X, xy, cam)
    assert angle_deg(res.R, r) < 0.2 and np.linalg.norm(res.t - t) < 0.05


def test_pnp_too_few_points():
    X, xy, *_ = _data(n=5, outliers=0.0)
    with pytest.raises(NoMatchError, match="at least 6"):
        solve_pnp(X, xy, CAM)
