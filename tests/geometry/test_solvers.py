"""Closed-form solvers against OpenCV and against exact synthetic transforms."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from oculi.geometry import _solvers as S
from oculi.geometry import dlt_homography, fit_homography, refine_homography, transform_points

H_TRUE = np.array([[0.92, 0.12, 25.0], [-0.08, 1.05, -12.0], [3e-4, -2e-4, 1.0]])


def _quad_batch(rng, b=50):
    return rng.uniform(0, 500, (b, 4, 2))


def test_minimal_homography_matches_get_perspective_transform(rng):
    p1 = _quad_batch(rng).astype(np.float32).astype(np.float64)  # OpenCV takes float32
    p2 = np.stack([transform_points(H_TRUE, q) for q in p1]) + rng.normal(0, 3, p1.shape)
    p2 = p2.astype(np.float32).astype(np.float64)
    ours = S.minimal_homography(p1, p2)
    for i in range(len(p1)):
        ref = cv2.getPerspectiveTransform(p1[i].astype(np.float32), p2[i].astype(np.float32))
        q = transform_points(ours[i], p1[i])
        np.testing.assert_allclose(q, p2[i], atol=1e-6)  # exact on its 4 points
        np.testing.assert_allclose(ours[i], ref / ref[2, 2], rtol=1e-3, atol=1e-6)


def test_minimal_affine_and_similarity_match_opencv(rng):
    p1 = rng.uniform(0, 300, (20, 3, 2))
    p2 = rng.uniform(0, 300, (20, 3, 2))
    aff = S.minimal_affine(p1, p2)
    for i in range(20):
        ref = cv2.getAffineTransform(p1[i].astype(np.float32), p2[i].astype(np.float32))
        np.testing.assert_allclose(aff[i, :2], ref, rtol=1e-4, atol=1e-4)
    ang, sc = np.deg2rad(30.0), 1.7
    m = np.array([[sc * np.cos(ang), -sc * np.sin(ang), 4], [sc * np.sin(ang), sc * np.cos(ang), 9]])
    q1 = rng.uniform(0, 100, (5, 2, 2))
    q2 = np.stack([q @ m[:, :2].T + m[:, 2] for q in q1])
    sim = S.minimal_similarity(q1, q2)
    np.testing.assert_allclose(sim[:, :2], np.broadcast_to(m, (5, 2, 3)), atol=1e-9)


def test_dlt_matches_opencv_least_squares(rng):
    x1 = rng.uniform(0, 640, (100, 2))
    x2 = transform_points(H_TRUE, x1) + rng.normal(0, 1.0, (100, 2))
    ours = dlt_homography(x1, x2)
    ref, _ = cv2.findHomography(x1, x2, 0)  # OpenCV's normalised DLT + LM
    corners = np.array([[0, 0], [639, 0], [639, 479], [0, 479]], float)
    d = np.linalg.norm(transform_points(ours, corners) - transform_points(ref, corners), axis=1)
    assert d.max() < 0.5  # algebraic vs LM-refined optimum differ a little under noise
    refined = fit_homography(x1, x2)
    d = np.linalg.norm(transform_points(refined, corners) - transform_points(ref, corners), axis=1)
    assert d.max() < 0.02  # both minimise the same one-sided reprojection error


def test_refinement_lowers_reprojection_error(rng):
    x1 = rng.uniform(0, 640, (60, 2))
    x2 = transform_points(H_TRUE, x1) + rng.normal(0, 1.5, (60, 2))
    h0 = dlt_homography(x1, x2)
    h1 = refine_homography(h0, x1, x2)
    e0 = np.linalg.norm(transform_points(h0, x1) - x2, axis=1)
    e1 = np.linalg.norm(transform_points(h1, x1) - x2, axis=1)
    assert (e1**2).sum() < (e0**2).sum()
    # exact data: the refinement finds the true matrix from a poor start
    h2 = refine_homography(np.eye(3), x1, transform_points(H_TRUE, x1))
    np.testing.assert_allclose(h2, H_TRUE, rtol=1e-6, atol=1e-9)


def test_degeneracy_checks():
    line = np.array([[[0, 0], [1, 1], [2, 2], [5, 1]]], float)
    square = np.array([[[0, 0], [1, 0], [1, 1], [0, 1]]], float)
    assert S.collinear_any(line, 1e-3)[0]
    assert not S.collinear_any(square, 1e-3)[0]
    twisted = square[:, [0, 1, 3, 2]]  # a bow-tie: some triples flip orientation, not all
    assert S.orientation_flipped(square, twisted)[0]
    mirrored = square * np.array([-1, 1])  # all flip: a (mirror) homography exists
    assert not S.orientation_flipped(square, mirrored)[0]
    assert np.isnan(S.minimal_homography(line, square)).all()


@pytest.mark.parametrize("n", [4, 5, 12])
def test_normalize_points(rng, n):
    xy = rng.uniform(-50, 900, (n, 2))
    p, t = S.normalize_points(xy)
    np.testing.assert_allclose(p.mean(0), 0, atol=1e-9)
    assert np.sqrt((p**2).sum(1)).mean() == pytest.approx(np.sqrt(2))
    np.testing.assert_allclose(transform_points(t, xy), p, atol=1e-9)
