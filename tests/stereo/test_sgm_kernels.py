from __future__ import annotations

import numpy as np

from oculi.stereo import _sgm_kernels as k


def test_census_and_hamming_match_a_numpy_reference(rng):
    img = rng.uniform(0, 255, (12, 15)).astype(np.float32)
    bits = k.census(img, 1, 2)
    pad = np.pad(img, ((1, 1), (2, 2)), mode="edge")
    y, x = 5, 7
    ref = 0
    for dy in range(-1, 2):
        for dx in range(-2, 3):
            if dy == 0 and dx == 0:
                continue
            ref = (ref << 1) | int(pad[y + 1 + dy, x + 2 + dx] < img[y, x])
    assert int(bits[y, x]) == ref
    other = k.census(img[:, ::-1].copy(), 1, 2)
    zero = np.zeros((12, 15), np.float32)
    cost = k.census_cost(bits, other, zero, zero, 3, 0.0, 30.0)
    expect = bin(int(bits[y, x]) ^ int(other[y, x - 2])).count("1")
    assert cost[y, x, 2] == expect


def _reference_path(cost, p1, p2):
    """Left-to-right path costs of one row (plain Python, Hirschmüller's equation)."""
    w, nd = cost.shape
    out = np.zeros((w, nd), np.int64)
    out[0] = cost[0]
    for x in range(1, w):
        prev = out[x - 1]
        mn = prev.min()
        for d in range(nd):
            cands = [prev[d], mn + p2]
            if d > 0:
                cands.append(prev[d - 1] + p1)
            if d + 1 < nd:
                cands.append(prev[d + 1] + p1)
            out[x, d] = cost[x, d] + min(cands) - mn
    return out


def test_one_path_aggregation_matches_the_recursion(rng):
    cost = rng.integers(0, 40, (1, 20, 6)).astype(np.int16)
    guide = np.zeros((1, 20), np.float32)
    got = k.aggregate(cost, guide, np.array([[0, 1]], np.int64), 3, 20, 0.0)
    assert np.array_equal(got[0], _reference_path(cost[0].astype(np.int64), 3, 20))
    # a vertical path on the transposed volume gives the same numbers
    tv = np.ascontiguousarray(cost.transpose(1, 0, 2))
    got_v = k.aggregate(tv, np.zeros((20, 1), np.float32), np.array([[1, 0]], np.int64),
                        3, 20, 0.0)
    assert np.array_equal(got_v[:, 0], got[0])


def test_adaptive_p2_shrinks_across_edges():
    assert k._adaptive_p2(np.float32(10), np.float32(10), 10, 120, 20.0) == 120
    assert k._adaptive_p2(np.float32(30), np.float32(10), 10, 120, 20.0) == 60
    assert k._adaptive_p2(np.float32(255), np.float32(0), 10, 120, 20.0) == 11
    assert k._adaptive_p2(np.float32(255), np.float32(0), 10, 120, 0.0) == 120


def test_speckle_removal_matches_opencv_filter_speckles(rng):
    import cv2

    disp = np.repeat(rng.integers(0, 4, (20, 30)), 2, axis=1).astype(np.float32) * 3
    disp[5:15, 10:40] = 40
    disp[2, 2] = np.nan
    ours = k.remove_speckles(disp, 12, 1.0)
    ref = np.where(np.isnan(disp), -1, disp).astype(np.int16)
    cv2.filterSpeckles(ref, -1, 12, 1)
    assert np.array_equal(np.isnan(ours), ref == -1)
    assert np.isnan(ours).sum() > 100 and not np.isnan(ours[5:15, 10:40]).any()


def test_fill_holes_takes_the_farther_neighbour():
    d = np.array([[5, np.nan, np.nan, 9, np.nan], [np.nan] * 5], np.float32)
    out = k.fill_holes(d)
    assert out[0].tolist() == [5, 5, 5, 9, 9]
    assert np.isnan(out[1]).all()


def test_wta_uniqueness_and_lr_check():
    total = np.full((1, 6, 4), 100, np.int32)
    total[0, :, 2] = 10  # every pixel clearly at d = 2
    total[0, 5, 0] = 11  # pixel 5: a near tie three disparities away
    left, right = k.winner_take_all(total, 0.2)
    assert left[0, :5].tolist() == [2, 2, 2, 2, 2] and np.isnan(left[0, 5])
    assert right[0, :4].tolist() == [2, 2, 2, 2]
    checked = k.lr_check(left, np.full((1, 6), 2, np.float32), 0.5)
    # x = 0, 1 match outside the right image (x - 2 < 0): invalid; 2..4 agree
    assert np.isnan(checked[0, :2]).all() and checked[0, 2:5].tolist() == [2, 2, 2]
    bad = k.lr_check(left, np.zeros((1, 6), np.float32), 0.5)
    assert np.isnan(bad[0, :5]).all()


def test_two_sweeps_give_the_per_path_sums(rng):
    cost = rng.integers(0, 60, (9, 13, 7)).astype(np.int16)
    guide = rng.uniform(0, 255, (9, 13)).astype(np.float32)
    dirs = np.array([[0, 1], [0, -1], [1, 0], [-1, 0], [1, 1], [1, -1], [-1, 1], [-1, -1]])
    for diagonals, n in ((True, 8), (False, 4)):
        ref = k.aggregate(cost, guide, dirs[:n], 7, 50, 20.0)
        assert np.array_equal(k.aggregate_two_pass(cost, guide, 7, 50, 20.0, diagonals), ref)
