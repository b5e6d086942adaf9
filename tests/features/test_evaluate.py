"""Evaluation measures on constructed cases with known answers, and a full synthetic warp."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from oculi.core.errors import ShapeError
from oculi.data import load
from oculi.features import (
    Keypoints,
    corner_error,
    detect_and_describe,
    evaluate_pair,
    project,
    repeatability,
)


def test_project_matches_opencv(rng):
    h = np.array([[0.9, 0.1, 5], [-0.05, 1.1, -3], [1e-4, 2e-4, 1.0]])
    pts = rng.uniform(0, 500, size=(50, 2))
    ref = cv2.perspectiveTransform(pts[None], h)[0]
    np.testing.assert_allclose(project(h, pts), ref, atol=1e-9)
    np.testing.assert_allclose(project(-2.5 * h, pts), ref, atol=1e-9)  # scale, sign included
    with pytest.raises(ShapeError):
        project(np.eye(2), pts)


def test_repeatability_known_cases():
    gy, gx = np.mgrid[10:91:10, 10:91:10]
    xy = np.column_stack([gx.ravel(), gy.ravel()]).astype(float) + 0.3
    h = np.array([[1, 0, 50.0], [0, 1, 0], [0, 0, 1]])  # shift right by 50 px
    k1 = Keypoints.from_xy(xy)
    # image 2 is 100x100: only points with x < 50 map inside it
    p2 = project(h, xy)
    p2 = p2[p2[:, 0] <= 99]
    k2 = Keypoints.from_xy(p2)
    r = repeatability(k1, k2, h, (100, 100), (100, 100))
    inside = (xy[:, 0] + 50 <= 99).sum()
    assert r["n1"] == inside and r["n2"] == inside
    assert r["repeatability"] == pytest.approx(1.0)
    k3 = Keypoints.from_xy(p2 + np.array([4.0, 0.0]))  # 4 px off: beyond eps = 3
    assert repeatability(k1, k3, h, (100, 100), (100, 100))["correspondences"] < inside * 0.1
    assert repeatability(k1, k3, h, (100, 100), (100, 100), eps=5)["repeatability"] > 0.9


def test_repeatability_is_one_to_one():
    k1 = Keypoints.from_xy(np.array([[10.0, 10.0], [10.5, 10.0]]))
    k2 = Keypoints.from_xy(np.array([[10.0, 10.0]]))
    r = repeatability(k1, k2, np.eye(3), (50, 50), (50, 50))
    assert r["correspondences"] == 1 and r["repeatability"] == 1.0  # min(n1, n2) = 1


def test_corner_error_exact():
    h = np.eye(3)
    shifted = np.array([[1, 0, 3.0], [0, 1, 4.0], [0, 0, 1]])
    assert corner_error(shifted, h, (100, 200)) == pytest.approx(5.0)
    assert corner_error(None, h, (100, 200)) == np.inf


def test_evaluate_pair_on_a_known_warp():
    img = load("camera")
    t = np.deg2rad(15)
    c = np.array([[1, 0, 256], [0, 1, 256], [0, 0, 1.0]])
    rot = np.array([[0.9 * np.cos(t), -0.9 * np.sin(t), 0], [0.9 * np.sin(t), 0.9 * np.cos(t), 0],
                    [0, 0, 1]])
    h = c @ rot @ np.linalg.inv(c)
    warped = cv2.warpPerspective(img, h, (512, 512))
    for name in ("sift", "surf", "orb"):
        f1, f2 = detect_and_describe(img, name), detect_and_describe(warped, name)
        r = evaluate_pair(f1, f2, h, pair="camera/rot15")
        assert r.corner_error < 1.0, name
        assert r.repeatability > 0.4, name
        assert r.mma[3.0] > 0.7 and r.mma[1.0] <= r.mma[3.0] <= r.mma[5.0], name
        assert 0 < r.matching_score <= 1, name
        assert r.as_dict()["homography@1"] is True
    fast = evaluate_pair(detect_and_describe(img, "fast"), detect_and_describe(warped, "fast"), h)
    assert np.isnan(fast.matching_score) and fast.repeatability > 0.3
