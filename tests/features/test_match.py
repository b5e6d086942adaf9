"""Matching against an independent numpy brute force: nearest neighbours, ratio test, mutual
check, Hamming distances, FLANN agreement, the SURF Laplacian gate and the empty cases."""

from __future__ import annotations

import numpy as np
import pytest

from oculi.core.errors import ParameterError, ShapeError
from oculi.data import load
from oculi.features import Features, Keypoints, detect_and_describe, match_descriptors


def _feats(desc, kind="float", laplacian=None):
    k = Keypoints.from_xy(np.zeros((len(desc), 2)))
    return Features(k, desc, kind, "l2" if kind == "float" else "hamming", "t", (10, 10),
                    laplacian)


def _np_reference(d1, d2, ratio=None, mutual=False):
    dist = np.linalg.norm(d1[:, None, :] - d2[None, :, :], axis=2)
    nn = dist.argmin(1)
    srt = np.sort(dist, 1)
    keep = np.ones(len(d1), bool)
    if ratio is not None:
        keep &= srt[:, 0] < ratio * srt[:, 1]
    if mutual:
        keep &= dist.argmin(0)[nn] == np.arange(len(d1))
    return np.flatnonzero(keep), nn[keep], srt[keep, 0]


@pytest.mark.parametrize(("ratio", "mutual"), [(None, False), (0.8, False), (None, True),
                                               (0.7, True)])
def test_bf_float_equals_numpy(rng, ratio, mutual):
    d1 = rng.normal(size=(300, 32)).astype(np.float32)
    d2 = np.vstack([d1[:150] + 0.3 * rng.normal(size=(150, 32)),
                    rng.normal(size=(200, 32))]).astype(np.float32)
    m = match_descriptors(_feats(d1), _feats(d2), ratio=ratio, mutual=mutual)
    qi, ti, dist = _np_reference(d1.astype(np.float64), d2.astype(np.float64), ratio, mutual)
    np.testing.assert_array_equal(m.query_idx, qi)
    np.testing.assert_array_equal(m.train_idx, ti)
    np.testing.assert_allclose(m.distance, dist, rtol=1e-4)


def test_bf_hamming_distances_are_bit_counts(rng):
    d1 = rng.integers(0, 256, size=(200, 32), dtype=np.uint8)
    flips = rng.integers(0, 2, size=(200, 32 * 8)).astype(np.uint8) * (rng.random((200, 256)) < 0.05)
    d2 = d1 ^ np.packbits(flips.astype(np.uint8), axis=1)
    m = match_descriptors(_feats(d1, "binary"), _feats(d2, "binary"), mutual=True)
    bits1 = np.unpackbits(d1, axis=1).astype(int)
    bits2 = np.unpackbits(d2, axis=1).astype(int)
    ham = (bits1[:, None, :] != bits2[None, :, :]).sum(2)
    assert len(m) > 190
    np.testing.assert_array_equal(m.train_idx, ham.argmin(1)[m.query_idx])
    np.testing.assert_array_equal(m.distance, ham[m.query_idx, m.train_idx])


@pytest.mark.parametrize("method", ["sift", "orb"])
def test_flann_agrees_with_brute_force(method):
    img = load("camera")
    f1 = detect_and_describe(img, method)
    f2 = detect_and_describe(np.ascontiguousarray(img[10:, 7:]), method)
    bf = match_descriptors(f1, f2, ratio=0.8)
    fl = match_descriptors(f1, f2, ratio=0.8, matcher="flann")
    common = np.intersect1d(bf.query_idx, fl.query_idx)
    same = (bf.train_idx[np.searchsorted(bf.query_idx, common)]
            == fl.train_idx[np.searchsorted(fl.query_idx, common)])
    assert len(fl) >= 0.8 * len(bf)
    assert same.mean() > 0.95


def test_laplacian_gate_pairs_only_equal_signs():
    d = np.eye(3, dtype=np.float32)
    f1 = _feats(d, laplacian=np.array([1, 1, -1], np.int8))
    f2 = _feats(d, laplacian=np.array([-1, 1, 1], np.int8))
    m = match_descriptors(f1, f2)
    # row 0 (sign +1) cannot take its identical twin (sign -1); it gets a +1 row instead
    assert m.train_idx[0] in (1, 2)
    assert m.train_idx[1] == 1
    assert f2.laplacian[m.train_idx[2]] == -1
    assert m.distance[0] == pytest.approx(np.sqrt(2))


def test_empty_and_detector_only():
    d = np.zeros((0, 64), np.float32)
    some = _feats(np.eye(4, 64, dtype=np.float32))
    assert len(match_descriptors(_feats(d), some)) == 0
    assert len(match_descriptors(some, _feats(d), ratio=0.8, mutual=True)) == 0
    fast = detect_and_describe(load("camera"), "fast")
    with pytest.raises(ParameterError, match="no descriptors"):
        match_descriptors(fast, fast)
    with pytest.raises(ShapeError, match="same method"):
        match_descriptors(some, _feats(np.zeros((3, 32), np.uint8), "binary"))
    with pytest.raises(ParameterError, match="ratio"):
        match_descriptors(some, some, ratio=1.5)
