"""oculi's SURF: box filters against an independent convolution, blob localisation and scale,
Laplacian sign, rotation invariance (and U-SURF's lack of it), and the real-data acceptance test
against OpenCV SIFT on the shared HPatches sequences."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
from scipy import ndimage

from oculi.core.errors import ParameterError
from oculi.data import load
from oculi.features import _surf_kernels as kernels
from oculi.features import (
    create_method,
    detect_and_describe,
    detect_and_describe_surf,
    evaluate_pair,
    load_pairs,
    match_descriptors,
)
from oculi.features.surf import filter_sizes
from tests.conftest import shared_set


def _box_kernels(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bay et al.'s box filters written out as dense kernels (test-side, independent)."""
    lobe, b = size // 3, (size - 1) // 2
    dyy = np.zeros((size, size))
    # three vertical lobes of height `lobe`, width 2*lobe-1, weights +1 -2 +1
    cols = slice(b - lobe + 1, b + lobe)
    dyy[0:lobe, cols] = 1
    dyy[lobe:2 * lobe, cols] = -2
    dyy[2 * lobe:3 * lobe, cols] = 1
    dxx = dyy.T.copy()
    dxy = np.zeros((size, size))
    dxy[b - lobe:b, b - lobe:b] = 1
    dxy[b + 1:b + lobe + 1, b + 1:b + lobe + 1] = 1
    dxy[b - lobe:b, b + 1:b + lobe + 1] = -1
    dxy[b + 1:b + lobe + 1, b - lobe:b] = -1
    return dxx, dyy, dxy


def test_filter_sizes_follow_bay():
    assert [filter_sizes(o) for o in range(4)] == [
        [9, 15, 21, 27], [15, 27, 39, 51], [27, 51, 75, 99], [51, 99, 147, 195]]


@pytest.mark.parametrize("size", [9, 15, 27])
def test_hessian_matches_dense_convolution(size):
    img = load("camera").astype(np.float64) / 255
    h, w = img.shape
    ii = np.zeros((h + 1, w + 1))
    np.cumsum(np.cumsum(img, 0), 1, out=ii[1:, 1:])
    det = np.empty((1, h, w), np.float32)
    sign = np.empty((1, h, w), np.int8)
    kernels.hessian_octave(ii, np.array([size]), 1, det, sign)
    kx, ky, kxy = _box_kernels(size)
    area = size * size
    dxx = ndimage.correlate(img, kx, mode="constant") / area
    dyy = ndimage.correlate(img, ky, mode="constant") / area
    dxy = ndimage.correlate(img, kxy, mode="constant") / area
    ref = dxx * dyy - 0.81 * dxy**2
    b = (size - 1) // 2
    inner = (slice(b, h - b - 1), slice(b, w - b - 1))
    np.testing.assert_allclose(det[0][inner], ref[inner], atol=1e-6, rtol=1e-4)
    lap = (dxx + dyy)[inner]
    clear = np.abs(lap) > 1e-6  # exactly flat areas: the sign is rounding noise
    assert np.array_equal(sign[0][inner][clear], np.where(lap >= 0, 1, -1)[clear])
    assert np.all(det[0][:b] == 0)


def _blob(x0: float, y0: float, sigma: float, bright: bool = True, n: int = 200) -> np.ndarray:
    yy, xx = np.mgrid[0:n, 0:n].astype(float)
    g = np.exp(-((xx - x0) ** 2 + (yy - y0) ** 2) / (2 * sigma**2))
    return (0.2 + 0.6 * g if bright else 0.8 - 0.6 * g).astype(np.float32)


@pytest.mark.parametrize(("x0", "y0", "sigma"), [(100.3, 90.7, 3.0), (97.8, 101.4, 8.0)])
def test_blob_is_localised_subpixel(x0, y0, sigma):
    f = detect_and_describe_surf(_blob(x0, y0, sigma), threshold=1e-5)
    d = np.hypot(f.xy[:, 0] - x0, f.xy[:, 1] - y0)
    assert d.min() < 0.1


def test_upsampled_octave_finds_small_blobs():
    """A blob of sigma 1 px (filter side ~7.5, below the 9x9 filter) is found and localised by
    the extra octave of the doubled image, and reported in input pixels."""
    img = _blob(100.4, 99.7, 1.0)
    f = detect_and_describe_surf(img, threshold=1e-5)
    i = np.argmin(np.hypot(f.xy[:, 0] - 100.4, f.xy[:, 1] - 99.7))
    assert np.hypot(f.xy[i, 0] - 100.4, f.xy[i, 1] - 99.7) < 0.15
    assert f.keypoints.size[i] < 9 and f.keypoints.octave[i] == -1
    plain = detect_and_describe_surf(img, threshold=1e-5, upsample=False)
    assert len(plain) == 0 or plain.keypoints.size.min() >= 9


def test_scale_is_covariant():
    sizes = []
    for sigma in (4.0, 8.0):
        f = detect_and_describe_surf(_blob(100, 100, sigma), threshold=1e-5)
        i = np.argmin(np.hypot(f.xy[:, 0] - 100, f.xy[:, 1] - 100))
        sizes.append(f.keypoints.size[i])
    assert sizes[1] / sizes[0] == pytest.approx(2.0, rel=0.1)


def test_laplacian_sign_bright_and_dark_blobs():
    bright = detect_and_describe_surf(_blob(100, 100, 5.0, True), threshold=1e-5)
    dark = detect_and_describe_surf(_blob(100, 100, 5.0, False), threshold=1e-5)
    ib = np.argmax(bright.keypoints.response)
    idk = np.argmax(dark.keypoints.response)
    assert bright.laplacian[ib] == -1  # intensity maximum: negative second derivative
    assert dark.laplacian[idk] == 1


def test_descriptor_shapes_and_norms():
    img = load("camera")
    f64 = detect_and_describe_surf(img)
    f128 = detect_and_describe_surf(img, extended=True)
    assert f64.descriptors.shape == (len(f64), 64) and f128.descriptors.shape == (len(f128), 128)
    np.testing.assert_allclose(np.linalg.norm(f64.descriptors, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(f128.descriptors, axis=1), 1.0, atol=1e-5)
    assert f64.kind == "float" and f64.norm == "l2"
    assert np.all((f64.keypoints.angle >= 0) & (f64.keypoints.angle < 360))


def _rotation_match_rate(method: str) -> float:
    img = load("camera")[64:448, 64:448]  # 384x384, square so rot90 keeps the frame
    rot = np.ascontiguousarray(np.rot90(img))  # counter-clockwise: (x, y) -> (y, W-1-x)
    f1, f2 = detect_and_describe(img, method), detect_and_describe(rot, method)
    m = match_descriptors(f1, f2, mutual=True)
    p1, p2 = m.points(f1, f2)
    w = img.shape[1]
    expected = np.column_stack([p1[:, 1], w - 1 - p1[:, 0]])
    correct = np.linalg.norm(expected - p2, axis=1) < 3
    return correct.sum() / min(len(f1), len(f2))


def test_rotation_by_90_degrees_orientation_works_usurf_does_not():
    oriented = _rotation_match_rate("surf")
    upright = _rotation_match_rate("usurf")
    assert oriented > 0.5
    assert upright < 0.1
    assert oriented > 5 * upright


def test_orientation_follows_rotation():
    img = load("camera")[64:448, 64:448]
    f1 = detect_and_describe_surf(img)
    f2 = detect_and_describe_surf(np.ascontiguousarray(np.rot90(img)))
    m = match_descriptors(f1, f2, mutual=True, ratio=0.7)
    d = (f2.keypoints.angle[m.train_idx] - f1.keypoints.angle[m.query_idx]) % 360
    # rot90 is counter-clockwise on screen, i.e. -90 degrees in y-down angles
    assert np.median(d) == pytest.approx(270, abs=3)


def test_bad_parameters_and_degenerate_images():
    with pytest.raises(ParameterError, match="octaves"):
        detect_and_describe_surf(load("camera"), octaves=0)
    for img in (np.zeros((0, 0), np.uint8), np.zeros((1, 1), np.uint8),
                np.full((64, 64), 0.5, np.float32)):
        f = detect_and_describe_surf(img)
        assert len(f) == 0 and f.descriptors.shape == (0, 64)


def test_upright_angles_are_zero_and_faster_path_same_keypoints():
    img = load("camera")
    f = detect_and_describe_surf(img)
    u = detect_and_describe_surf(img, upright=True)
    np.testing.assert_array_equal(f.xy, u.xy)
    assert np.all(u.keypoints.angle == 0)


HPATCHES = ("hpatches_v_dogman", "hpatches_v_churchill")


def _hpatches_features(grey: str) -> tuple[list, dict]:
    """The 10 pairs 1-2..1-6 of the two shared HPatches viewpoint sequences and the SIFT / SURF
    features of their images (grey from ``cv2.imread`` or from ``oculi.io``)."""
    from oculi.io import read_image

    pairs = [p for seq in HPATCHES for p in load_pairs(shared_set(seq))]
    paths = {q for pr in pairs for q in (pr.image1, pr.image2)}
    if grey == "cv":
        imgs = {q: cv2.imread(str(q), cv2.IMREAD_GRAYSCALE) for q in paths}
    else:
        imgs = {q: read_image(q, mode="gray") for q in paths}
    methods = {"sift": create_method("sift"), "surf": create_method("surf")}
    return pairs, {name: {q: m(im) for q, im in imgs.items()} for name, m in methods.items()}


def _evaluate(pairs, feats, seed: int = 0) -> dict:
    return {pr.name: {name: evaluate_pair(f[pr.image1], f[pr.image2], pr.homography, seed=seed)
                      for name, f in feats.items()} for pr in pairs}


@pytest.fixture(scope="module")
def hpatches_results():
    """SIFT and SURF on every pair of the two shared HPatches viewpoint sequences, in the default
    protocol of ``oculi features compare`` (full resolution, all keypoints, mutual nearest
    neighbours, oculi.geometry estimator at 3 px with seed 0)."""
    return _evaluate(*_hpatches_features("cv"))


def _accuracy_at_3px(hpatches_results) -> dict[str, float]:
    return {m: float(np.mean([r[m].corner_error <= 3 for r in hpatches_results.values()]))
            for m in ("sift", "surf")}


def test_surf_homography_accuracy_vs_sift(hpatches_results):
    """Issue acceptance: homography accuracy at 3 px >= SIFT's minus 10 points (10 pairs, full
    resolution, all keypoints). Measured here SURF 0.8, SIFT 0.7."""
    acc = _accuracy_at_3px(hpatches_results)
    assert acc["surf"] >= acc["sift"] - 0.10 - 1e-9, acc
    assert acc["sift"] >= 0.5  # the protocol itself works (published SIFT: ~0.7-0.8)


def test_surf_homography_accuracy_target(hpatches_results):
    """Issue acceptance: SURF's HPatches-style homography accuracy at 3 px is at least 0.74 on
    the shared HPatches sequences (8 of 10 pairs; dogman 1-4 and 1-6 fail for every method).
    Every pair that counts is solved with a margin: corner errors below 2.9 px (measured
    0.4-2.6 px over seeds 0-2 and both grey conversions, see the slow test below)."""
    acc = _accuracy_at_3px(hpatches_results)
    assert acc["surf"] >= 0.74, acc
    solved = [r["surf"].corner_error for r in hpatches_results.values()
              if r["surf"].corner_error <= 3]
    assert max(solved) < 2.9, solved


@pytest.mark.slow
@pytest.mark.parametrize("grey", ["cv", "io"])
def test_surf_homography_accuracy_target_is_robust(grey):
    """The 0.74 target holds for every estimator seed 0-2 and both grey conversions
    (``cv2.imread`` and ``oculi.io``), not only for the default seed."""
    pairs, feats = _hpatches_features(grey)
    for seed in (0, 1, 2):
        acc = _accuracy_at_3px(_evaluate(pairs, feats, seed))
        assert acc["surf"] >= 0.74, (grey, seed, acc)


@pytest.mark.parametrize("pair", ["hpatches_v_dogman/1-2", "hpatches_v_dogman/1-4",
                                  "hpatches_v_churchill/1-2", "hpatches_v_churchill/1-4"])
def test_surf_repeatability_within_5_points_of_sift(hpatches_results, pair):
    """Issue acceptance: repeatability (3 px, all keypoints) no more than 5 points below SIFT."""
    r = hpatches_results[pair]
    assert r["surf"].repeatability >= r["sift"].repeatability - 0.05, (
        r["surf"].repeatability, r["sift"].repeatability)


def test_surf_repeatability_top1000_churchill_1_4(hpatches_results):
    """The same pair with the 1000 strongest keypoints of each image (SuperPoint protocol)."""
    pairs = {p.name: p for p in load_pairs(shared_set("hpatches_v_churchill"))}
    pr = pairs["hpatches_v_churchill/1-4"]
    a = cv2.imread(str(pr.image1), cv2.IMREAD_GRAYSCALE)
    b = cv2.imread(str(pr.image2), cv2.IMREAD_GRAYSCALE)
    rep = {}
    for name in ("sift", "surf"):
        m = create_method(name)
        rep[name] = evaluate_pair(m(a).strongest(1000), m(b).strongest(1000),
                                  pr.homography).repeatability
    assert rep["surf"] >= rep["sift"] - 0.05, rep
