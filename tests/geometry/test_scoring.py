"""MAGSAC++ scoring and the sigma-weighted refit: the loss and weights against the marginal
likelihood they are derived from, synthetic accuracy against OpenCV's USAC_MAGSAC on the same
correspondences, the weighted vs the unweighted refit, and the errors kept from MSAC."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest
from scipy import integrate, special

from oculi.core.errors import NoMatchError, ParameterError
from oculi.geometry import (
    corner_error,
    estimate_affine,
    estimate_homography,
    fit_homography,
    transform_points,
)
from oculi.geometry._scoring import MagsacQuality, MsacQuality

H_TRUE = np.array([[0.92, 0.12, 25.0], [-0.08, 1.05, -12.0], [3e-4, -2e-4, 1.0]])
SIZE = (480, 640)
SEEDS = range(10)


def _marginal_weight(r: float, sigma_max: float, dof: int = 2) -> float:
    """Marginal density of an inlier residual r: the chi density with ``dof`` degrees of freedom
    at scale sigma, truncated at its 0.99 quantile, averaged over sigma uniform on
    [0, sigma_max] (numerical quadrature)."""
    k = math.sqrt(2.0 * special.gammaincinv(dof / 2, 0.99))
    c = 1.0 / (2 ** (dof / 2) * math.gamma(dof / 2))

    def g(sigma):
        if r >= k * sigma:
            return 0.0
        return 2 * c * sigma**-dof * r ** (dof - 1) * math.exp(-(r**2) / (2 * sigma**2))

    lo = r / k
    return integrate.quad(g, lo, sigma_max)[0] / sigma_max if lo < sigma_max else 0.0


@pytest.mark.parametrize("dof", [2, 4])
def test_weights_match_the_marginal_likelihood_and_the_loss(dof):
    q = MagsacQuality(sigma_max=1.5, dof=dof)
    r = np.linspace(0.05, 5.0, 40)
    ref = np.array([_marginal_weight(v, 1.5, dof) for v in r])
    w = q.weights(r**2)
    np.testing.assert_allclose(w, ref / ref[0] * w[0], rtol=1e-6, atol=1e-9)
    # the loss is the integral of r w(r): rho'(r) = r w(r) (up to the normalisations)
    h = 1e-5
    d = (q.loss((r + h) ** 2) - q.loss((r - h) ** 2)) / (2 * h)
    inside = r < math.sqrt(q.t2) - 2 * h
    np.testing.assert_allclose(d[inside] * q.rho_max, r[inside] * w[inside] * q.w0, rtol=1e-5)
    assert q.loss(np.array([0.0]))[0] == 0 and np.all(q.loss(np.array([q.t2, 1e9])) == 1)
    assert np.all(np.diff(q.loss(r**2)) >= 0) and np.all(np.diff(w) <= 0)
    # the tabulated score used in the hypothesis loop agrees with the exact loss
    e2 = np.random.default_rng(0).uniform(0, 30, (3, 500))
    np.testing.assert_allclose(q.score(e2), q.loss(e2).sum(-1), atol=5e-3)


def _mixture(seed, n=400, outliers=0.4, noise=0.5, near=0.1):
    """Gaussian noise on every inlier, uniform outliers, and ``near`` of the inliers displaced
    2-8 px (wrong matches close to the true position, as on repeated texture)."""
    rng = np.random.default_rng(200 + seed)
    x1 = rng.uniform(0, 640, (n, 2))
    x2 = transform_points(H_TRUE, x1) + rng.normal(0, noise, (n, 2))
    bad = rng.random(n) < outliers
    x2[bad] = rng.uniform(0, 640, (int(bad.sum()), 2))
    moved = ~bad & (rng.random(n) < near)
    d, a = rng.uniform(2, 8, moved.sum()), rng.uniform(0, 2 * np.pi, moved.sum())
    x2[moved] += np.stack([d * np.cos(a), d * np.sin(a)], axis=1)
    return x1, x2


def test_corner_error_vs_opencv_magsac_on_most_seeds():
    """Measured: oculi <= USAC_MAGSAC on 10 of the 10 seeds, mean 0.21 vs 0.26 px. MSAC scoring
    (0.17 px) and LM on the hard inliers (0.15) are lower on this mixture: the refit's noise
    scales up to 10 px take the displaced matches in (on the real pairs, bench/geometry.py, the
    wide scales are what beats MAGSAC). Without the displaced matches all tie (next test)."""
    ours, ref = [], []
    for seed in SEEDS:
        x1, x2 = _mixture(seed)
        cv2.setRNGSeed(seed)
        h, _ = cv2.findHomography(x1, x2, cv2.USAC_MAGSAC, 3.0, maxIters=10000, confidence=0.999)
        ref.append(corner_error(h, H_TRUE, SIZE))
        ours.append(corner_error(estimate_homography(x1, x2, seed=seed).model, H_TRUE, SIZE))
    ours, ref = np.array(ours), np.array(ref)
    assert (ours <= ref).sum() >= 8
    assert ours.mean() < 0.9 * ref.mean()


def test_marginalised_refit_keeps_least_squares_accuracy_on_gaussian_noise():
    """Gaussian noise and uniform outliers only; same sample and LO; the final refit (MSAC refit,
    then models averaged over noise scales up to 10 px) vs LM on the hard inliers, the
    maximum-likelihood fit of this well-specified data. Measured: mean 0.1342 vs 0.1320 px
    (USAC_MAGSAC 0.1322)."""
    weighted, plain = [], []
    for seed in SEEDS:
        x1, x2 = _mixture(seed, near=0.0)
        raw = estimate_homography(x1, x2, seed=seed, refine=False)
        plain.append(corner_error(fit_homography(x1[raw.inliers], x2[raw.inliers]), H_TRUE, SIZE))
        weighted.append(corner_error(estimate_homography(x1, x2, seed=seed).model, H_TRUE, SIZE))
    assert np.mean(weighted) <= 1.03 * np.mean(plain)


@pytest.mark.parametrize("quality", [MagsacQuality(2.0), MsacQuality(3.0)], ids=["magsac", "msac"])
def test_pre_test_bound_never_exceeds_the_score(quality):
    """The hypothesis pre-test skips a full score only when its bound already loses: the bound
    must be a true lower bound, and tight when every residual is past the cut-off."""
    rng = np.random.default_rng(3)
    e2 = rng.exponential(20.0, (50, 300))
    e2[0, :10] = np.inf
    assert np.all(quality.bound(e2) <= quality.score(e2) + 1e-9)
    far = np.full((2, 40), 10 * quality.t2)
    np.testing.assert_allclose(quality.bound(far), quality.score(far))
    assert quality.bound(np.zeros((1, 5)))[0] == 0


@pytest.mark.parametrize("dof", [2, 4])
def test_table_weights_match_the_exact_weights(dof):
    q = MagsacQuality(sigma_max=2.5, dof=dof)
    e2 = np.concatenate([np.linspace(0.0, 1.2 * q.t2, 5001), [np.inf, np.nan]])
    np.testing.assert_allclose(q.table_weights(e2[:-2]), q.weights(e2[:-2]), atol=1e-6)
    assert q.table_weights(e2[-2:]).tolist() == [0.0, 0.0]


@pytest.mark.parametrize("scoring", ["magsac", "msac"])
def test_degenerate_and_too_few_points_raise_as_before(rng, scoring):
    t = rng.uniform(0, 100, 30)
    line = np.stack([t, 2 * t + 1], axis=1)
    with pytest.raises(NoMatchError, match="homography: no consistent model"):
        estimate_homography(line, line + 5, scoring=scoring)
    with pytest.raises(NoMatchError, match="at least 4"):
        estimate_homography(line[:3], line[:3], scoring=scoring)
    with pytest.raises(NoMatchError, match="at least 3"):
        estimate_affine(line[:2], line[:2], scoring=scoring)


def test_unknown_scoring_is_named():
    x = np.random.default_rng(0).uniform(0, 100, (20, 2))
    with pytest.raises(ParameterError, match="scoring: expected one of magsac, msac"):
        estimate_homography(x, x, scoring="lmeds")
