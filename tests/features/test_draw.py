"""Drawings: sizes, colours where keypoints and matches are."""

from __future__ import annotations

import numpy as np

from oculi.features import Features, Keypoints, Matches
from oculi.features.draw import draw_keypoints, draw_matches


def test_draw_keypoints_marks_the_circle():
    img = np.zeros((50, 60), np.uint8)
    k = Keypoints(np.array([[30.0, 25.0]]), np.array([20.0]), np.array([0.0]), np.ones(1),
                  np.zeros(1))
    out = draw_keypoints(img, k)
    assert out.shape == (50, 60, 3) and out.dtype == np.uint8
    assert out[25, 40, 1] > 100  # on the circle (radius 10) and on the 0-degree radius line
    assert out[25, 35, 1] > 100  # radius line towards +x
    assert out[25, 25].sum() == 0  # inside, away from the line


def test_draw_matches_side_by_side_with_inlier_colours():
    a, b = np.zeros((40, 30), np.uint8), np.zeros((50, 20, 3), np.uint8)
    f1 = Features(Keypoints.from_xy(np.array([[5.0, 5.0], [10.0, 30.0]])))
    f2 = Features(Keypoints.from_xy(np.array([[5.0, 5.0], [10.0, 30.0]])))
    m = Matches(np.array([0, 1]), np.array([0, 1]), np.zeros(2))
    out = draw_matches(a, b, f1, f2, m, inliers=np.array([True, False]))
    assert out.shape == (50, 50, 3)
    assert out[5, 20, 1] > 150 and out[5, 20, 0] == 0  # green inlier line (y = 5)
    assert out[30, 20, 0] > 150 and out[30, 20, 1] == 0  # red outlier line (y = 30)
