"""Result types: shapes, dtypes, selection, OpenCV round trip."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from oculi.core.errors import ShapeError
from oculi.features.types import Features, Keypoints, Matches


def test_keypoints_round_trip_through_opencv():
    kps = [cv2.KeyPoint(10.5, 20.25, 7.0, 45.0, 0.5, 2), cv2.KeyPoint(1.0, 2.0, 3.0, -1, 0.1, 0)]
    k = Keypoints.from_cv(kps)
    assert k.xy.tolist() == [[10.5, 20.25], [1.0, 2.0]]
    assert k.size.tolist() == [7.0, 3.0]
    assert k.angle[0] == 45.0 and np.isnan(k.angle[1])
    assert k.octave.tolist() == [2, 0]
    back = k.to_cv()
    assert back[0].pt == (10.5, 20.25) and back[1].angle == -1


def test_sift_packed_octave_is_unpacked():
    # OpenCV SIFT packs octave | layer << 8 | ...; octave -1 is 255 in the low byte
    kp = cv2.KeyPoint(1.0, 1.0, 2.0, 0.0, 1.0, (3 << 8) | 255)
    assert Keypoints.from_cv([kp]).octave.tolist() == [-1]


def test_features_select_and_strongest():
    k = Keypoints(np.arange(8, dtype=float).reshape(4, 2), np.ones(4), np.zeros(4),
                  np.array([0.1, 0.9, 0.5, 0.7]), np.zeros(4))
    d = np.arange(16, dtype=np.float32).reshape(4, 4)
    f = Features(k, d, "float", "l2", "x", (10, 10), np.array([1, -1, 1, -1], np.int8))
    s = f.strongest(2)
    assert s.keypoints.response.tolist() == pytest.approx([0.9, 0.7])
    assert s.descriptors.tolist() == [d[1].tolist(), d[3].tolist()]
    assert s.laplacian.tolist() == [-1, -1]
    assert f.strongest(None) is f


def test_shape_errors():
    k = Keypoints.from_xy(np.zeros((3, 2)))
    with pytest.raises(ShapeError, match="descriptors"):
        Features(k, np.zeros((2, 4), np.float32), "float", "l2")
    with pytest.raises(ShapeError, match="size"):
        Keypoints(np.zeros((3, 2)), np.zeros(2), np.zeros(3), np.zeros(3), np.zeros(3))
    with pytest.raises(ShapeError, match="train_idx"):
        Matches(np.zeros(3), np.zeros(2), np.zeros(3))


def test_matches_points():
    f1 = Features(Keypoints.from_xy(np.array([[0.0, 0.0], [1.0, 1.0]])))
    f2 = Features(Keypoints.from_xy(np.array([[5.0, 5.0], [6.0, 6.0]])))
    m = Matches(np.array([1]), np.array([0]), np.array([0.5]))
    p1, p2 = m.points(f1, f2)
    assert p1.tolist() == [[1.0, 1.0]] and p2.tolist() == [[5.0, 5.0]]
    assert len(Matches.empty()) == 0
