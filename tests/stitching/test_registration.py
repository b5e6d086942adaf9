"""Sub-pixel correspondences, keypoint spreading, early exit for pairs that cannot pass, and the
analytic bundle-adjustment Jacobians, against exact answers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize._numdiff import approx_derivative

from oculi.core.convert import to_gray
from oculi.core.errors import NoMatchError
from oculi.features import detect_and_describe
from oculi.geometry import estimate_homography, transform_points
from oculi.stitching import bundle, registration, rotating_views


def test_refined_correspondences_match_the_true_homography():
    v = rotating_views(2, overlap=0.4, size=(240, 320), seed=4, roll=[10.0, -10.0])
    g = [to_gray(im) for im in v.images]
    f = [detect_and_describe(im, "orb", max_keypoints=1500) for im in g]
    pair = registration.match_pair(f[0], f[1], 0, 1, g[1].shape, matcher="bf")
    assert pair is not None
    truth = v.homography(0, 1)
    before = np.linalg.norm(transform_points(truth, pair.xy_i) - pair.xy_j, axis=1)
    refined = registration.refine_correspondences(g[0], g[1], pair.homography, pair.xy_i,
                                                  pair.xy_j)
    assert refined is not None
    a, b = refined
    after = np.linalg.norm(transform_points(truth, a) - b, axis=1)
    assert len(a) >= 0.5 * len(pair.xy_i)
    # ORB keypoints sit on a pixel of their pyramid level; the tracked points within 0.1 px
    assert np.median(before) > 0.3 and np.median(after) < 0.1


def test_spread_keeps_the_strongest_of_every_cell():
    v = rotating_views(2, overlap=0.5, size=(240, 320), seed=0)
    f = detect_and_describe(to_gray(v.images[0]), "orb", max_keypoints=2000)
    s = registration.spread(f, 300, cells=8)
    assert len(s) == 300
    cell = (s.xy[:, 1] // 40).astype(int) * 8 + (s.xy[:, 0] // 40).astype(int)
    full = (f.xy[:, 1] // 40).astype(int) * 8 + (f.xy[:, 0] // 40).astype(int)
    # every cell that has keypoints keeps its strongest one
    for c in np.unique(full):
        best = f.keypoints.response[full == c].max()
        assert np.isclose(s.keypoints.response[cell == c].max(), best)
    assert registration.spread(f, 10**6) is f


def test_ransac_gives_up_on_pairs_without_enough_inliers(rng):
    x1 = rng.uniform(0, 500, (60, 2))
    x2 = rng.uniform(0, 500, (60, 2))  # no common model
    with pytest.raises(NoMatchError, match="inliers"):
        estimate_homography(x1, x2, min_inliers=registration.min_inliers_for(1.0))
    assert registration.min_inliers_for(1.0) == 12  # 12 / (8 + 0.3 * 12) >= 1
    h = np.array([[1.0, 0.05, 20], [0.02, 1.0, -5], [1e-4, 0, 1]])
    x2[:30] = transform_points(h, x1[:30])
    est = estimate_homography(x1, x2, min_inliers=12)
    assert est.n_inliers >= 30


@pytest.mark.parametrize("model", ["rotation", "homography"])
def test_analytic_jacobians_match_finite_differences(model, monkeypatch):
    captured = []
    original = bundle._solve_robust

    def spy(residuals, x0, n, *args, jac=None, **kw):
        captured.append((residuals, jac, x0))
        return original(residuals, x0, n, *args, jac=jac, **kw)

    monkeypatch.setattr(bundle, "_solve_robust", spy)
    from oculi.stitching import stitch

    v = rotating_views(3, overlap=0.4, size=(240, 320), seed=1)
    stitch(v.images, model=model)
    assert captured
    for residuals, jac, x0 in captured:
        # at the start the rotation updates are zero, where the left perturbation is exact
        num = approx_derivative(residuals, x0, method="3-point")
        assert np.abs(jac(x0) - num).max() <= 1e-4 * np.abs(num).max()
