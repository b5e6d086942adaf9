"""ASIFT: the simulated views, keypoints mapped back, the distinct-neighbour matching, duplicate
removal, a strongly tilted synthetic pair that SIFT fails and ASIFT solves, and an EVD pair."""

from __future__ import annotations

import math

import cv2
import numpy as np
import pytest

from oculi.core.errors import ParameterError, UnknownNameError
from oculi.data import load
from oculi.features import (
    Features,
    Keypoints,
    dedupe_matches,
    detect_and_describe_asift,
    find_correspondences,
    load_pairs,
    match_descriptors,
    match_simulated,
    project,
    simulations,
)
from oculi.geometry import corner_error, estimate_homography
from tests.conftest import shared_set


def _rot(deg: float) -> np.ndarray:
    a = math.radians(deg)
    return np.array([[math.cos(a), -math.sin(a), 0], [math.sin(a), math.cos(a), 0], [0, 0, 1]])


def tilted_pair(tilt: float = 5.0, side: int = 320) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The astronaut and its view under an affine camera tilt ``tilt`` (rotate 50 deg, shrink x by
    ``tilt``, rotate 35 deg): a ~78 degree viewpoint change. Returns image1, image2, H 1 -> 2."""
    im = cv2.resize(load("astronaut"), (side, side), interpolation=cv2.INTER_AREA)
    a = _rot(35) @ np.diag([1 / tilt, 1, 1]) @ _rot(-50)
    c = project(a, np.array([[0, 0], [side - 1, 0], [side - 1, side - 1], [0, side - 1]]))
    h = np.array([[1, 0, 10 - c[:, 0].min()], [0, 1, 10 - c[:, 1].min()], [0, 0, 1]]) @ a
    size = (int(np.ptp(c[:, 0])) + 20, int(np.ptp(c[:, 1])) + 20)
    return im, cv2.warpPerspective(im, h, size, flags=cv2.INTER_AREA), h


@pytest.fixture(scope="module")
def pair():
    return tilted_pair()


def test_simulations_follow_morel_yu():
    views = simulations()
    assert views[0] == (1.0, 0.0) and len(views) == 43
    tilts = sorted({round(t, 6) for t, _ in views})
    assert tilts == [round(math.sqrt(2) ** k, 6) for k in range(6)]
    # rotation step 72 / t degrees, angles in [0, 180)
    t4 = [a for t, a in views if abs(t - 4) < 1e-9]
    assert len(t4) == 10 and t4[1] == pytest.approx(18.0) and max(t4) < 180
    assert len(simulations(1.0)) == 1
    with pytest.raises(ParameterError, match="tilt_step"):
        simulations(4.0, tilt_step=1.0)


def test_keypoints_are_mapped_back_to_the_original_image(pair):
    im = pair[0]
    f = detect_and_describe_asift(im, max_tilt=2.0)
    views = f.meta["view"]
    assert f.meta["views"] == 10 and views.max() == 9 and len(views) == len(f)
    # every keypoint lies on the image, from every view
    assert (f.xy >= -1).all() and (f.xy[:, 0] <= im.shape[1]).all()
    assert (f.xy[:, 1] <= im.shape[0]).all()
    # a keypoint found in a simulated view is where the same structure is in the original:
    # matching a view's descriptors to the plain SIFT ones lands within a pixel or two
    sift = find_correspondences(im, im, "sift")  # identity sanity of the pipeline
    assert np.abs(sift.xy1 - sift.xy2).max() < 1e-6
    g = f[np.flatnonzero(views == 0)]
    tilted = f[np.flatnonzero(views > 0)]
    m = match_descriptors(tilted, g, ratio=0.7)
    a, b = m.points(tilted, g)
    assert len(m) > 30 and np.median(np.linalg.norm(a - b, axis=1)) < 1.5


def test_sift_fails_and_asift_solves_a_strong_tilt(pair):
    im1, im2, h = pair
    errors = {}
    for name in ("sift", "asift"):
        c = find_correspondences(im1, im2, name)
        est = estimate_homography(c.xy1, c.xy2, threshold=3.0, seed=0) if len(c) >= 4 else None
        errors[name] = corner_error(None if est is None else est.model, h, im1.shape[:2])
    assert errors["sift"] > 20  # measured ~140 px: SIFT's matches are mostly wrong
    assert errors["asift"] < 1.0  # measured 0.2 px


def _features(xy: np.ndarray, desc: np.ndarray) -> Features:
    return Features(Keypoints.from_xy(xy), desc.astype(np.float32), "float", "l2")


def test_distinct_neighbour_ratio_keeps_points_seen_in_several_views():
    # image 2 holds point P twice (two views, near-identical descriptors) and a far point Q
    d = np.eye(3, dtype=np.float32)
    f2 = _features(np.array([[50.0, 50.0], [50.5, 50.2], [200.0, 10.0]]),
                   np.stack([d[0], d[0] + 0.01, d[1]]))
    f1 = _features(np.array([[10.0, 10.0]]), d[:1] + np.array([0, 0, 0.05], np.float32))
    assert len(match_descriptors(f1, f2, ratio=0.8)) == 0  # the plain ratio test rejects it
    m = match_simulated(f1, f2, ratio=0.8, radius=4.0)
    assert m.train_idx.tolist() in ([0], [1]) and m.ratio[0] < 0.1  # against Q, far away
    # a genuinely ambiguous match (two far-apart look-alikes) is still rejected
    f2b = _features(np.array([[50.0, 50.0], [150.0, 50.0], [200.0, 10.0]]),
                    np.stack([d[0], d[0] + 0.01, d[1]]))
    assert len(match_simulated(f1, f2b, ratio=0.8)) == 0
    with pytest.raises(ParameterError, match="ratio"):
        match_simulated(f1, f2, ratio=1.5)


def test_matches_are_the_same_on_every_call(pair):
    """FLANN's random trees made ASIFT's matches differ between calls (201-208 matches on this
    pair at max_tilt 2); the seeded trees give the same ones."""
    f = detect_and_describe_asift(pair[0], max_tilt=2.0)
    g = detect_and_describe_asift(pair[1], max_tilt=2.0)
    runs = [match_simulated(f, g) for _ in range(3)]
    assert all(np.array_equal(runs[0].train_idx, r.train_idx) for r in runs[1:])
    assert not np.array_equal(match_simulated(f, g, seed=1).train_idx, runs[0].train_idx)


def test_dedupe_keeps_the_best_of_each_cluster():
    xy1 = np.array([[0.0, 0.0], [1.0, 1.0], [100.0, 0.0], [0.5, 0.0]])
    xy2 = np.array([[10.0, 10.0], [11.0, 10.0], [50.0, 50.0], [80.0, 80.0]])
    cost = np.array([0.5, 0.2, 0.3, 0.1])
    # 0 and 1 are duplicates (both ends within 4 px): 1 is better; 3 has a far end
    assert dedupe_matches(xy1, xy2, cost, 4.0).tolist() == [1, 2, 3]
    assert dedupe_matches(xy1[:0], xy2[:0], cost[:0], 4.0).tolist() == []


def test_asift_parameters_are_checked():
    with pytest.raises(ParameterError, match="base"):
        detect_and_describe_asift(np.zeros((32, 32), np.uint8), base="asift")
    with pytest.raises(UnknownNameError):
        find_correspondences(np.zeros((32, 32), np.uint8), np.zeros((32, 32), np.uint8), "asfit")
    tiny = detect_and_describe_asift(np.zeros((4, 4), np.uint8))
    assert len(tiny) == 0 and tiny.descriptors.shape == (0, 128)


def test_asift_solves_an_evd_pair():
    """EVD 'adam' (a statue seen from the front and from far to the side): SIFT 485 px, ASIFT
    measured 3.5-3.9 px corner error (the issue's bar is 10 px)."""
    p = next(p for p in load_pairs(shared_set("homography_pairs_evd")) if p.name.endswith("adam"))
    from oculi.io import read_image

    a, b = read_image(p.image1, mode="gray"), read_image(p.image2, mode="gray")
    c = find_correspondences(a, b, "asift")
    est = estimate_homography(c.xy1, c.xy2, threshold=3.0, seed=0)
    assert corner_error(est.model, p.homography, a.shape) < 10
