"""Robust estimation: synthetic outlier mixtures vs ground truth and OpenCV, and the real
ground-truth pairs (same SIFT correspondences for oculi and cv2.findHomography)."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from oculi.core.errors import NoMatchError, ParameterError, ShapeError
from oculi.geometry import (
    corner_error,
    estimate_affine,
    estimate_homography,
    estimate_similarity,
    estimate_transform,
    reprojection_errors,
    transform_points,
)
from tests.conftest import shared_set

H_TRUE = np.array([[0.92, 0.12, 25.0], [-0.08, 1.05, -12.0], [3e-4, -2e-4, 1.0]])
SIZE = (480, 640)


def _mixture(rng, n=400, outliers=0.4, noise=0.7, h=H_TRUE):
    x1 = rng.uniform(0, 640, (n, 2))
    x2 = transform_points(h, x1) + rng.normal(0, noise, (n, 2))
    bad = rng.random(n) < outliers
    x2[bad] = rng.uniform(0, 640, (int(bad.sum()), 2))
    return x1, x2, ~bad


def _cv2_h(x1, x2, method, seed=0, threshold=3.0):
    cv2.setRNGSeed(seed)
    h, _ = cv2.findHomography(x1, x2, method, threshold, maxIters=10000, confidence=0.999)
    return h


def test_homography_recovers_truth_and_inliers(rng):
    x1, x2, good = _mixture(rng)
    est = estimate_homography(x1, x2, threshold=3.0, seed=0)
    assert corner_error(est.model, H_TRUE, SIZE) < 0.5
    # inlier mask vs the true labels (a few outliers fall within 3 px by chance)
    recall = (est.inliers & good).sum() / good.sum()
    precision = (est.inliers & good).sum() / est.inliers.sum()
    assert recall > 0.98 and precision > 0.98
    np.testing.assert_allclose(est.residuals, reprojection_errors(est.model, x1, x2))
    assert est.rms < 1.2  # noise sigma 0.7 per axis -> rms about 1.0


def test_homography_accuracy_vs_opencv_synthetic():
    ours, ransac, magsac = [], [], []
    for seed in range(6):
        r = np.random.default_rng(100 + seed)
        x1, x2, _ = _mixture(r, n=300, outliers=0.5, noise=1.0)
        ours.append(corner_error(estimate_homography(x1, x2, seed=seed).model, H_TRUE, SIZE))
        ransac.append(corner_error(_cv2_h(x1, x2, cv2.RANSAC, seed), H_TRUE, SIZE))
        magsac.append(corner_error(_cv2_h(x1, x2, cv2.USAC_MAGSAC, seed), H_TRUE, SIZE))
    assert np.mean(ours) <= np.mean(ransac)
    assert np.mean(ours) <= 1.1 * np.mean(magsac)


def test_adaptive_iterations(rng):
    x1, x2, _ = _mixture(rng, outliers=0.0)
    clean = estimate_homography(x1, x2, seed=0)
    x1, x2, good = _mixture(rng, outliers=0.6)
    dirty = estimate_homography(x1, x2, seed=0, batch=8)
    w = good.mean()
    bound = np.log(1 - 0.999) / np.log(1 - w**4)
    assert clean.iterations <= 64  # one batch: w ~ 1 needs a handful of samples
    assert 0.5 * bound < dirty.iterations < 3 * bound + 64
    capped = estimate_homography(x1, x2, seed=0, max_iterations=40, batch=8)
    assert capped.iterations <= 40


def test_collinear_and_too_few_points_raise(rng):
    t = rng.uniform(0, 100, 30)
    line = np.stack([t, 2 * t + 1], axis=1)
    with pytest.raises(NoMatchError, match="homography"):
        estimate_homography(line, line + 5)
    with pytest.raises(NoMatchError, match="at least 4"):
        estimate_homography(line[:3], line[:3])
    with pytest.raises(ShapeError):
        estimate_homography(line, line[:10])
    with pytest.raises(ParameterError):
        estimate_homography(line, line, confidence=1.0)


def test_affine_and_similarity_vs_opencv(rng):
    a = np.array([[1.1, 0.2, 5.0], [-0.15, 0.9, -3.0]])
    x1 = rng.uniform(0, 500, (300, 2))
    x2 = x1 @ a[:, :2].T + a[:, 2] + rng.normal(0, 0.5, (300, 2))
    x2[:90] = rng.uniform(0, 500, (90, 2))
    est = estimate_affine(x1, x2, threshold=2.0)
    ref, _ = cv2.estimateAffine2D(x1, x2, ransacReprojThreshold=2.0)
    c = np.array([[0, 0], [499, 0], [499, 499], [0, 499]], float)
    err_ours = np.linalg.norm(transform_points(est.model, c) - transform_points(a, c), axis=1)
    err_cv = np.linalg.norm(transform_points(ref, c) - transform_points(a, c), axis=1)
    assert err_ours.mean() < 0.3 and err_ours.mean() <= err_cv.mean() * 1.1
    ang, sc = np.deg2rad(-20.0), 0.8
    s = np.array([[sc * np.cos(ang), -sc * np.sin(ang), 40], [sc * np.sin(ang), sc * np.cos(ang),
                                                              -7]])
    y2 = x1 @ s[:, :2].T + s[:, 2] + rng.normal(0, 0.5, (300, 2))
    y2[:90] = rng.uniform(0, 500, (90, 2))
    sim = estimate_similarity(x1, y2, threshold=2.0)
    ref, _ = cv2.estimateAffinePartial2D(x1, y2, ransacReprojThreshold=2.0)
    e1 = np.linalg.norm(transform_points(sim.model, c) - transform_points(s, c), axis=1).mean()
    e2 = np.linalg.norm(transform_points(ref, c) - transform_points(s, c), axis=1).mean()
    assert e1 < 0.3 and e1 <= e2 * 1.1
    assert sim.inliers[90:].mean() > 0.97


def test_model_registry_lists_three():
    from oculi.geometry import models

    assert set(models.names()) == {"homography", "affine", "similarity"}
    with pytest.raises(KeyError, match="homograpy"):
        estimate_transform(np.zeros((5, 2)), np.zeros((5, 2)), "homograpy")


def _sift_pairs(folder, js):
    from oculi.io import read_image

    sift = cv2.SIFT_create()
    g1 = read_image(folder / "1.png", mode="gray")
    k1, d1 = sift.detectAndCompute(g1, None)
    for j in js:
        g2 = read_image(folder / f"{j}.png", mode="gray")
        k2, d2 = sift.detectAndCompute(g2, None)
        knn = cv2.BFMatcher(cv2.NORM_L2).knnMatch(d1, d2, k=2)
        good = [m for m, n in knn if m.distance < 0.8 * n.distance]
        x1 = np.array([k1[m.queryIdx].pt for m in good], float)
        x2 = np.array([k2[m.trainIdx].pt for m in good], float)
        h = np.loadtxt(folder / f"H_1_{j}")
        yield x1, x2, h, g1.shape


def test_real_pairs_corner_error_vs_opencv():
    """hpatches_v_churchill 1-2..1-6: same correspondences; mean over 2 seeds per pair.
    Measured (px, oculi vs USAC_MAGSAC): 0.50/0.65, 2.41/2.50, 2.36/3.38, 0.21/0.23, 3.37/3.64;
    mean over 1-2..1-5 1.37 vs 1.69. Before the MSAC start of the sigma-consensus refit, 1-6 (the
    largest viewpoint change) lost: 4.57 vs 3.64."""
    folder = shared_set("hpatches_v_churchill")
    ours, ransac, magsac = {}, {}, {}
    for j, (x1, x2, h, size) in zip(range(2, 7), _sift_pairs(folder, range(2, 7)), strict=True):
        ours[j] = np.mean([corner_error(estimate_homography(x1, x2, seed=s).model, h, size)
                           for s in range(2)])
        ransac[j] = np.mean([corner_error(_cv2_h(x1, x2, cv2.RANSAC, s), h, size)
                             for s in range(2)])
        magsac[j] = np.mean([corner_error(_cv2_h(x1, x2, cv2.USAC_MAGSAC, s), h, size)
                             for s in range(2)])
    assert all(ours[j] <= magsac[j] for j in ours), (ours, magsac)
    small = range(2, 6)
    assert np.mean([ours[j] for j in small]) < 3.0
    assert np.mean([ours[j] for j in small]) <= np.mean([ransac[j] for j in small])
    assert np.mean([ours[j] for j in small]) <= 0.9 * np.mean([magsac[j] for j in small])


#: a stitching pair's ratio-test matches (10 % overlap): nine points of image 1 all matched to
#: one point of image 2, the rest scattered; the best minimal models collapse a line to a point
_MANY_TO_ONE = np.array([
    [86.4, 156.4, 319.1, 170.1], [127.6, 165.2, 414.9, 8.5], [287.4, 58.7, 414.9, 8.5],
    [319.4, 179.1, 402.1, 27.9], [321.9, 66.4, 81.9, 356.5], [378.2, 92.2, 374.9, 69.6],
    [394.6, 81.3, 90.7, 172.8], [394.9, 15.1, 74.2, 299.6], [398.8, 118.7, 319.1, 170.1],
    [402.3, 2.5, 319.9, 177.0], [403.8, 45.4, 276.5, 48.3], [434.9, 98.7, 319.1, 170.1],
    [441.4, 106.9, 319.1, 170.1], [445.7, 112.0, 319.1, 170.1], [449.7, 116.6, 319.1, 170.1],
    [452.4, 119.6, 319.1, 170.1], [463.2, 131.8, 319.1, 170.1], [468.8, 136.7, 319.1, 170.1],
    [473.2, 142.3, 319.1, 170.1]])


@pytest.mark.parametrize("scoring", ["magsac", "msac"])
@pytest.mark.parametrize("seed", range(5))
def test_degenerate_matches_give_a_finite_model_or_no_match(seed, scoring):
    """A near-degenerate best model (points of image 1 sent to one point) must not reach a solver
    with non-finite points (numpy's LinAlgError, which stopped a whole panorama)."""
    a, b = _MANY_TO_ONE[:, :2], _MANY_TO_ONE[:, 2:]
    try:
        est = estimate_homography(a, b, seed=seed, local_optimisation=False, scoring=scoring)
    except NoMatchError:
        return
    assert np.all(np.isfinite(est.model)) and np.all(np.isfinite(est.residuals[est.inliers]))
