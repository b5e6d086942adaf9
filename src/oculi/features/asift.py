"""ASIFT: affine view simulation around any oculi detector (Morel & Yu, SIAM J. Imaging Sci. 2009).

A detector that is invariant to rotation and scale only (SIFT, SURF, ORB, ...) is run on a set of
simulated views of the image: for each tilt ``t = sqrt(2)^k`` (``k = 0 .. n``) and each rotation
``phi = 0, b/t, 2b/t, ... < 180`` degrees (``b = 72``), the image is rotated by ``phi``, blurred
along x by a Gaussian of ``sigma = 0.8 sqrt(t^2 - 1)`` (anti-aliasing) and shrunk along x by
``t``. The keypoints found in a view are mapped back to the original image (position, size and
angle), so the result is ordinary :class:`~oculi.features.types.Features` of the original pixels;
``n = 5`` gives 43 views and covers camera tilts up to ~80 degrees.

The same physical point is found in several views, so a plain ratio test fails on ASIFT
features: the second-nearest descriptor is often the same point seen from another view.
:func:`match_simulated` therefore takes the ratio against the nearest descriptor whose keypoint
lies more than ``radius`` pixels from the nearest one (a *distinct* second neighbour), then
removes duplicate matches (both ends within ``radius`` of a stronger match).

    >>> from oculi.data import load
    >>> f = detect_and_describe_asift(load("camera")[::2, ::2], max_tilt=2.0)
    >>> f.method, f.meta["views"], f.descriptors.shape[1]
    ('asift', 10, 128)
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np

from oculi.core.checks import check_positive
from oculi.core.errors import ParameterError
from oculi.features._image import gray_uint8
from oculi.features.methods import FeatureMethod, _check_finite, create_method, feature_methods
from oculi.features.types import Features, Keypoints, Matches

#: tilt step sqrt(2) and rotation step base 72 degrees (Morel & Yu 2009, section 4.1)
TILT_STEP = math.sqrt(2.0)
ROTATION_STEP = 72.0
#: anti-aliasing: Gaussian sigma = c * sqrt(t^2 - 1) before shrinking by t along x
_AA_C = 0.8
#: keypoints closer than this to the border of a simulated view's valid region are dropped
_BORDER = 3


def simulations(max_tilt: float = 4 * TILT_STEP, tilt_step: float = TILT_STEP,
                rotation_step: float = ROTATION_STEP) -> list[tuple[float, float]]:
    """The ``(tilt, angle in degrees)`` pairs of the simulated views, the identity ``(1, 0)`` first.

    >>> len(simulations()), simulations(2.0)[:3]
    (43, [(1.0, 0.0), (1.4142135623730951, 0.0), (1.4142135623730951, 50.91168824543142)])
    """
    check_positive(max_tilt, "max_tilt")
    if not tilt_step > 1:
        raise ParameterError(f"tilt_step: expected a number > 1, got {tilt_step!r}")
    check_positive(rotation_step, "rotation_step")
    views = [(1.0, 0.0)]
    k = 1
    while tilt_step**k <= max_tilt * (1 + 1e-9):
        t = tilt_step**k
        step = rotation_step / t
        views.extend((t, i * step) for i in range(math.ceil(180.0 / step - 1e-9)))
        k += 1
    return views


def _rotation(shape: tuple[int, int], angle: float) -> tuple[np.ndarray, tuple[int, int]]:
    """The 2x3 rotation by ``angle`` degrees that puts the whole rotated image at the origin,
    and the ``(height, width)`` of its bounding box."""
    h, w = shape
    a = math.radians(angle)
    rot = np.array([[math.cos(a), -math.sin(a)], [math.sin(a), math.cos(a)]])
    corners = np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float64) @ rot.T
    lo = corners.min(0)
    span = corners.max(0) - lo
    return np.hstack([rot, -lo[:, None]]), (math.floor(span[1] + 1e-6) + 1,
                                            math.floor(span[0] + 1e-6) + 1)


def _simulate(gray: np.ndarray, tilt: float, angle: float
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One simulated view: the uint8 view, its valid-region mask (uint8, 255 inside, eroded by
    the border margin) and the 2x3 affine map from original to view pixels."""
    import cv2

    if tilt == 1.0 and angle == 0.0:
        m = np.array([[1.0, 0, 0], [0, 1.0, 0]])
        rotated, mask = gray, np.full(gray.shape, 255, np.uint8)
    else:
        m, (rh, rw) = _rotation(gray.shape, angle)
        rotated = cv2.warpAffine(gray, m, (rw, rh), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT)
        mask = cv2.warpAffine(np.full(gray.shape, 255, np.uint8), m, (rw, rh),
                              flags=cv2.INTER_NEAREST, borderMode=cv2.BORDER_CONSTANT)
    if tilt > 1.0:
        rh, rw = rotated.shape
        vw = max(1, round(rw / tilt))
        fx = vw / rw
        sigma = _AA_C * math.sqrt(tilt * tilt - 1.0)
        rotated = cv2.GaussianBlur(rotated, (0, 0), sigmaX=sigma, sigmaY=0.01)
        rotated = cv2.resize(rotated, (vw, rh), interpolation=cv2.INTER_LINEAR)
        mask = cv2.resize(mask, (vw, rh), interpolation=cv2.INTER_NEAREST)
        # cv2.resize maps pixel centres: x' = (x + 0.5) fx - 0.5
        m = m.copy()
        m[0] *= fx
        m[0, 2] += 0.5 * fx - 0.5
    mask = cv2.erode(mask, np.ones((2 * _BORDER + 1, 2 * _BORDER + 1), np.uint8))
    return rotated, mask, m


def _map_back(k: Keypoints, m: np.ndarray, tilt: float) -> Keypoints:
    """Keypoints of a simulated view mapped to the original image (inverse of ``m``)."""
    a_inv = np.linalg.inv(m[:, :2])
    xy = (k.xy.astype(np.float64) - m[:, 2]) @ a_inv.T
    ang = np.radians(np.nan_to_num(k.angle, nan=0.0).astype(np.float64))
    d = np.stack([np.cos(ang), np.sin(ang)], 1) @ a_inv.T
    angle = np.degrees(np.arctan2(d[:, 1], d[:, 0])) % 360.0
    angle = np.where(np.isnan(k.angle), np.nan, angle)
    size = k.size * np.float32(math.sqrt(tilt))  # the mean axis of the back-mapped ellipse
    return Keypoints(xy, size, angle, k.response, k.octave)


def _inside_mask(xy: np.ndarray, mask: np.ndarray) -> np.ndarray:
    h, w = mask.shape
    ix = np.clip(np.round(xy[:, 0]).astype(np.int64), 0, w - 1)
    iy = np.clip(np.round(xy[:, 1]).astype(np.int64), 0, h - 1)
    return mask[iy, ix] > 0


class AsiftMethod(FeatureMethod):
    """A base :data:`feature_methods` detector run on the affine-simulated views (see module doc).

    Calling it returns :class:`Features` of the original image: positions, sizes and angles
    mapped back; descriptors, kind and norm those of the base method; ``meta["views"]`` the
    number of views and ``meta["view"]`` an ``(N,)`` int32 view index per keypoint.
    """

    def __init__(self, name: str, params: dict[str, Any], info: dict[str, Any],
                 base: FeatureMethod, views: list[tuple[float, float]], threads: int) -> None:
        super().__init__(name, params, info)
        self._base = base
        self._views = views
        self._threads = threads

    def _one(self, gray: np.ndarray, view: tuple[float, float]) -> tuple[Keypoints, Any]:
        tilt, angle = view
        sim, mask, m = _simulate(gray, tilt, angle)
        f = self._base(sim)
        ok = _inside_mask(f.xy, mask)
        f = f[np.flatnonzero(ok)]
        return _map_back(f.keypoints, m, tilt), f

    def __call__(self, image: Any) -> Features:
        gray = gray_uint8(_check_finite(image))  # NaN/inf is an error, not 0 keypoints
        if min(gray.shape) < 8:
            f = self._base(gray)
            return Features(f.keypoints, f.descriptors, f.kind, f.norm, self.name, gray.shape,
                            meta={"views": 0, "view": np.zeros(len(f), np.int32)})
        with ThreadPoolExecutor(self._threads) as pool:
            parts = list(pool.map(lambda v: self._one(gray, v), self._views))
        kps = [k for k, _ in parts]
        feats = [f for _, f in parts]
        xy = np.concatenate([k.xy for k in kps])
        keypoints = Keypoints(xy, np.concatenate([k.size for k in kps]),
                              np.concatenate([k.angle for k in kps]),
                              np.concatenate([k.response for k in kps]),
                              np.concatenate([k.octave for k in kps]))
        desc = None
        if feats[0].descriptors is not None:
            desc = np.concatenate([f.descriptors for f in feats])  # type: ignore[misc]
        view = np.concatenate([np.full(len(k), i, np.int32) for i, k in enumerate(kps)])
        return Features(keypoints, desc, feats[0].kind, feats[0].norm, self.name, gray.shape,
                        meta={"views": len(self._views), "view": view})


@feature_methods.register(
    "asift", help="ASIFT (Morel & Yu 2009): a base method (sift) on affine-simulated views",
    year=2009, detector="base method on tilted/rotated views", orientation="base method",
    distance="base method", descriptor="base method")
def _asift(base: str = "sift", max_tilt: float = 4 * TILT_STEP, tilt_step: float = TILT_STEP,
           rotation_step: float = ROTATION_STEP, view_keypoints: int | None = None,
           threads: int = 0, **base_params: Any) -> FeatureMethod:
    if base == "asift":
        raise ParameterError("base: expected a feature method other than asift")
    if view_keypoints:
        base_params = {**base_params, "max_keypoints": int(view_keypoints)}
    base_method = create_method(base, **base_params)
    views = simulations(max_tilt, tilt_step, rotation_step)
    n = int(threads) if threads else (os.cpu_count() or 1)
    params = {"base": base, "max_tilt": max_tilt, "tilt_step": tilt_step,
              "rotation_step": rotation_step, "view_keypoints": view_keypoints, **base_params}
    info = dict(feature_methods.entry("asift").meta)
    return AsiftMethod("asift", params, info, base_method, views, max(1, n))


def detect_and_describe_asift(image: Any, base: str = "sift", **params: Any) -> Features:
    """ASIFT features of one image; see :class:`AsiftMethod` and the module doc.

    Args:
        image: HW or HWC image (uint8, uint16 or float in [0, 1]).
        base: the :data:`feature_methods` name run on every view (``sift`` by default).
        **params: ``max_tilt`` (default ``4 sqrt 2``: 43 views), ``tilt_step`` (``sqrt 2``),
            ``rotation_step`` (72 degrees), ``view_keypoints`` (cap per view), ``threads``
            (0: all cores) and the base method's own parameters.
    """
    return create_method("asift", base=base, **params)(image)


def _knn_l2(d1: np.ndarray, d2: np.ndarray, k: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """FLANN k nearest neighbours (randomised KD-trees): ``(N, k)`` indices and L2 distances.
    The trees draw from OpenCV's random generator of the calling thread, seeded here."""
    import cv2

    cv2.setRNGSeed(int(seed))
    index = cv2.flann_Index(d2, {"algorithm": 1, "trees": 4})
    idx, d2sq = index.knnSearch(d1, k, params={"checks": 64})
    return idx.astype(np.int64), np.sqrt(np.maximum(d2sq.astype(np.float64), 0.0))


def _knn_hamming(d1: np.ndarray, d2: np.ndarray, k: int, seed: int
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Brute-force Hamming k nearest neighbours (exact: ``seed`` is not needed)."""
    import cv2

    res = cv2.BFMatcher(cv2.NORM_HAMMING).knnMatch(d1, d2, k=k)
    idx = np.full((len(d1), k), -1, np.int64)
    dist = np.full((len(d1), k), np.inf)
    for q, row in enumerate(res):
        for j, dm in enumerate(row):
            idx[q, j], dist[q, j] = dm.trainIdx, dm.distance
    return idx, dist


def _distinct_ratio(idx: np.ndarray, dist: np.ndarray, xy2: np.ndarray, radius: float
                    ) -> np.ndarray:
    """Nearest / nearest-distinct distance ratio per query (0 when all k neighbours are the
    nearest one's point: an unambiguous match)."""
    n = idx.shape[0]
    ok = idx >= 0
    pos = xy2[np.clip(idx, 0, None)]
    far = np.linalg.norm(pos - pos[:, :1], axis=2) > radius
    far &= ok
    far[:, 0] = False
    first = np.where(far.any(1), far.argmax(1), -1)
    second = dist[np.arange(n), np.clip(first, 0, None)]
    with np.errstate(divide="ignore", invalid="ignore"):
        r = np.where(first >= 0, dist[:, 0] / second, 0.0)
    r = np.where(second > 0, r, np.where(dist[:, 0] > 0, np.inf, 1.0))
    return np.where(first >= 0, r, 0.0)


def dedupe_matches(xy1: np.ndarray, xy2: np.ndarray, cost: np.ndarray, radius: float
                   ) -> np.ndarray:
    """Indices of the matches kept after removing duplicates: a match whose two ends both lie
    within ``radius`` pixels of the ends of a lower-``cost`` match is dropped.

    Args:
        xy1, xy2: ``(M, 2)`` matched positions in pixels.
        cost: ``(M,)`` ranking (lower is better: distance or ratio).
        radius: pixels.

    Returns:
        ``(K,)`` int64 indices into the matches, ascending.
    """
    from scipy.spatial import cKDTree

    m = len(xy1)
    if m == 0:
        return np.zeros(0, np.int64)
    order = np.argsort(cost, kind="stable")
    pts = np.hstack([xy1, xy2]).astype(np.float64)
    tree = cKDTree(pts)
    # pairs whose 4-d distance is small enough that both ends may be within radius
    pairs = tree.query_pairs(radius * math.sqrt(2.0), output_type="ndarray")
    if len(pairs) == 0:
        return np.arange(m, dtype=np.int64)
    a, b = pairs[:, 0], pairs[:, 1]
    close = (np.linalg.norm(pts[a, :2] - pts[b, :2], axis=1) <= radius) & \
        (np.linalg.norm(pts[a, 2:] - pts[b, 2:], axis=1) <= radius)
    a, b = a[close], b[close]
    rank = np.empty(m, np.int64)
    rank[order] = np.arange(m)
    # greedy in cost order: a match is dropped when a kept better match is its duplicate
    nbrs: dict[int, list[int]] = {}
    for i, j in zip(a.tolist(), b.tolist(), strict=True):
        nbrs.setdefault(i, []).append(j)
        nbrs.setdefault(j, []).append(i)
    kept = np.ones(m, bool)
    for i in order.tolist():
        if kept[i]:
            for j in nbrs.get(i, ()):
                if rank[j] > rank[i]:
                    kept[j] = False
    return np.flatnonzero(kept)


def match_simulated(features1: Features, features2: Features, *, ratio: float = 0.8,
                    radius: float = 4.0, k: int = 8, seed: int = 0) -> Matches:
    """Match ASIFT features: ratio test against the nearest *distinct* neighbour, then dedupe.

    Args:
        features1, features2: :class:`Features` of one method (ASIFT or any other).
        ratio: keep a match when nearest / nearest-distinct distance < ``ratio``.
        radius: pixels; neighbours within it of the nearest one's keypoint (image 2) count as
            the same point, and matches with both ends within it of a better match are dropped.
        k: neighbours searched per query (FLANN KD-trees for float descriptors, brute force for
            binary ones).
        seed: seed of FLANN's random trees: the same inputs give the same matches. It is set
            with ``cv2.setRNGSeed``, so OpenCV's generator of the calling thread is reseeded.

    Returns:
        :class:`Matches` (``ratio`` holds the distinct ratio), sorted by query index.
    """
    from oculi.features.match import _prepare

    if not 0 < ratio <= 1:
        raise ParameterError(f"ratio: expected a number in (0, 1], got {ratio!r}")
    check_positive(radius, "radius")
    d1, d2, norm = _prepare(features1, features2)
    if len(d1) == 0 or len(d2) < 2:
        return Matches.empty()
    kk = min(int(k), len(d2))
    idx, dist = (_knn_l2 if norm == "l2" else _knn_hamming)(d1, d2, kk, seed)
    r = _distinct_ratio(idx, dist, features2.xy.astype(np.float64), radius)
    keep = (idx[:, 0] >= 0) & (r < ratio)
    qi = np.flatnonzero(keep)
    ti = idx[qi, 0]
    dd, rr = dist[qi, 0], r[qi]
    sel = dedupe_matches(features1.xy[qi], features2.xy[ti], rr + 1e-9 * dd, radius)
    return Matches(qi[sel], ti[sel], dd[sel].astype(np.float32), rr[sel].astype(np.float32))
