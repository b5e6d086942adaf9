"""Rectify and re-match: refine a rough homography between two views of a plane.

Under an extreme viewpoint change a matcher finds few correct correspondences, and their
positions are poor (the detector sees the same patch at very different scales along different
directions), so the first homography ``h0`` is often tens of pixels off. Once ``h0`` is known,
the remaining view change is small: :func:`refine_by_rectification` warps image 1 into image 2's
frame with the current estimate (and image 2 into image 1's), detects features on the warped
image again, matches them to the other image's features within ``radius`` pixels of where the
estimate puts them (guided matching with a ratio test among the candidates in that disc), maps
the matched points back to the original pixels, and fits the homography again with oculi's
robust estimator (:func:`oculi.geometry.estimate_homography`, then a least-squares fit to its
inliers, :func:`oculi.geometry.fit_homography`). A few rounds of this let the
matches follow the improving estimate; the round whose fit has the most inliers is returned.

The warps are antialiased (:func:`warp_antialiased`): where the homography shrinks the source,
the output is rendered at an integer supersampling factor and area-averaged down, so the
re-detected features see a clean image rather than an aliased one.

    >>> import numpy as np
    >>> from oculi.data import load
    >>> from oculi.geometry import corner_error
    >>> im = load("camera")
    >>> h = np.array([[0.9, 0.1, 20.0], [-0.05, 0.8, 30.0], [2e-4, 1e-4, 1.0]])
    >>> im2 = warp_antialiased(im, h, im.shape)[0]
    >>> rough = h @ np.array([[1.0, 0.0, 6.0], [0.0, 1.0, -5.0], [0.0, 0.0, 1.0]])
    >>> corner_error(rough, h, im.shape) > 5
    True
    >>> r = refine_by_rectification(im, im2, rough)
    >>> corner_error(r.model, h, im.shape) < 1
    True
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oculi.core.checks import check_positive
from oculi.core.errors import NoMatchError, ParameterError

#: cap of the supersampling factor of :func:`warp_antialiased` and of its rendered pixel count
MAX_SUPERSAMPLE = 6
_MAX_RENDER_PIXELS = 25_000_000
#: re-detected keypoints closer than this to the border of the warped image's valid region are
#: dropped (their descriptors would see the black outside)
_BORDER = 4
#: the two warp directions: image 1 into image 2's frame, image 2 into image 1's
DIRECTIONS = ("1to2", "2to1")


def _as_homography(h: Any, name: str) -> np.ndarray:
    m = np.asarray(h, np.float64)
    if m.shape != (3, 3) or not np.all(np.isfinite(m)):
        raise ParameterError(f"{name}: expected a finite 3x3 matrix, got shape {m.shape}")
    if not np.linalg.cond(m) < 1e14:
        raise ParameterError(f"{name}: the homography is singular")
    return m / m[2, 2] if abs(m[2, 2]) > 1e-12 else m


def _project(m: np.ndarray, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(N, 2)`` points mapped by ``m`` and their ``(N,)`` homogeneous ``w``."""
    p = xy @ m[:, :2].T + m[:, 2]
    w = p[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        return p[:, :2] / w[:, None], w


def _grid(shape: tuple[int, int], step: int) -> np.ndarray:
    ys, xs = np.mgrid[0:shape[0]:step, 0:shape[1]:step]
    return np.stack([xs.ravel(), ys.ravel()], 1).astype(np.float64)


def _max_stretch(m: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """Largest singular value of the Jacobian of ``m`` at ``xy``: source pixels per output pixel
    along the most shrunk direction, ``(N,)``."""
    q, w = _project(m, xy)
    qx, _ = _project(m, xy + np.array([1.0, 0.0]))
    qy, _ = _project(m, xy + np.array([0.0, 1.0]))
    jac = np.stack([qx - q, qy - q], axis=2)
    ok = (w > 0) & np.all(np.isfinite(jac.reshape(len(xy), -1)), axis=1)
    return np.linalg.svd(jac[ok], compute_uv=False)[:, 0] if ok.any() else np.ones(1)


def warp_antialiased(image: np.ndarray, h: Any, size: tuple[int, int], *,
                     max_supersample: int = MAX_SUPERSAMPLE) -> tuple[np.ndarray, np.ndarray]:
    """Warp ``image`` by the homography ``h`` (image -> output) without aliasing.

    Where ``h`` shrinks the image (several source pixels per output pixel) the output is rendered
    ``S`` times larger in each direction and area-averaged down, ``S`` the 90th percentile of the
    shrink factor over the visible output (at most ``max_supersample``).

    Args:
        image: HW or HWC uint8 or float32 image.
        h: ``3x3`` homography mapping input pixels ``[x, y, 1]`` to output pixels.
        size: ``(height, width)`` of the output.
        max_supersample: cap on ``S``.

    Returns:
        ``(warped, valid)``: the output image (``image``'s dtype and channels) and an HW bool
        mask of the output pixels whose whole footprint lies inside the input (and in front of
        the camera: points behind the homography's horizon are never valid).
    """
    import cv2

    m = np.linalg.inv(_as_homography(h, "h"))   # output -> input
    height, width = int(size[0]), int(size[1])
    check_positive(height, "height")
    check_positive(width, "width")
    stretch = float(np.percentile(_max_stretch(m, _grid((height, width), 8)), 90))
    scale = int(np.clip(math.ceil(stretch - 1e-6), 1, max_supersample)) if math.isfinite(
        stretch) else max_supersample
    while scale > 1 and scale * scale * height * width > _MAX_RENDER_PIXELS:
        scale -= 1
    # output pixel centres of the supersampled render: x = (i + 0.5) / S - 0.5
    sup = np.array([[1.0 / scale, 0.0, (1.0 / scale - 1.0) / 2],
                    [0.0, 1.0 / scale, (1.0 / scale - 1.0) / 2], [0.0, 0.0, 1.0]])
    dsize = (width * scale, height * scale)
    flags = cv2.WARP_INVERSE_MAP
    src = np.ascontiguousarray(image)
    big = cv2.warpPerspective(src, m @ sup, dsize, flags=cv2.INTER_LINEAR | flags,
                              borderMode=cv2.BORDER_REPLICATE)
    # coverage: 255 where the bilinear footprint lies inside the input (uint8 keeps it small)
    vis = cv2.warpPerspective(np.full(src.shape[:2], 255, np.uint8), m @ sup, dsize,
                              flags=cv2.INTER_LINEAR | flags)
    if scale > 1:
        big = cv2.resize(big, (width, height), interpolation=cv2.INTER_AREA)
        vis = cv2.resize(vis, (width, height), interpolation=cv2.INTER_AREA)
    # cv2 maps points behind the horizon (w <= 0) into the image too: mask them, and the pixels
    # next to them, out (w is linear in x, y, so the output grid suffices)
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    front = (m[2, 0] * xs + m[2, 1] * ys + m[2, 2]) > 0
    front = cv2.erode(front.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    return big.astype(image.dtype, copy=False), (vis == 255) & front


def guided_matches(xy1: np.ndarray, d1: np.ndarray, xy2: np.ndarray, d2: np.ndarray, *,
                   radius: float, ratio: float) -> tuple[np.ndarray, np.ndarray]:
    """Nearest-descriptor matches restricted to a disc: feature ``i`` of set 1 may only match
    the features of set 2 within ``radius`` pixels of ``xy1[i]`` (both sets in the same frame).

    The best candidate is kept when its descriptor distance is below ``ratio`` times the second
    best candidate's (a lone candidate passes), and only mutual best matches are returned.

    Args:
        xy1, xy2: ``(N1, 2)``, ``(N2, 2)`` float pixels in one frame.
        d1, d2: ``(N1, D)``, ``(N2, D)`` float descriptors (L2 distance).
        radius: search radius, pixels.
        ratio: ratio-test threshold in (0, 1].

    Returns:
        ``(i1, i2)``: ``(M,)`` int64 indices of the matched features.
    """
    from scipy.spatial import cKDTree

    empty = np.zeros(0, np.int64)
    if len(xy1) == 0 or len(xy2) == 0:
        return empty, empty
    pairs = cKDTree(xy1).query_ball_tree(cKDTree(xy2), r=float(radius))
    i = np.repeat(np.arange(len(xy1)), [len(p) for p in pairs])
    if i.size == 0:
        return empty, empty
    j = np.fromiter((k for p in pairs for k in p), np.int64, count=i.size)
    a, b = d1.astype(np.float32), d2.astype(np.float32)
    dist = np.sqrt(np.maximum(((a[i] - b[j]) ** 2).sum(1), 0.0))
    order = np.lexsort((dist, i))
    i, j, dist = i[order], j[order], dist[order]
    first = np.r_[True, i[1:] != i[:-1]]
    best = np.flatnonzero(first)
    has_second = (best + 1 < len(i)) & ~np.r_[first[1:], True][best]
    second = np.where(has_second, dist[np.minimum(best + 1, len(i) - 1)], np.inf)
    keep = dist[best] < ratio * second
    bi, bj, bd = i[best][keep], j[best][keep], dist[best][keep]
    if bi.size == 0:
        return empty, empty
    # mutual: for each j keep its closest i only
    o = np.lexsort((bd, bj))
    uniq = o[np.r_[True, bj[o][1:] != bj[o][:-1]]]
    return bi[np.sort(uniq)], bj[np.sort(uniq)]


@dataclass
class Refinement:
    """The result of :func:`refine_by_rectification`.

    Attributes:
        model: ``(3, 3)`` float64 homography image 1 -> image 2 (``model[2, 2] == 1``).
        xy1, xy2: ``(M, 2)`` float64 pixels of the correspondences of the returned round.
        inliers: ``(M,)`` bool, the estimator's inliers among them.
        rounds: per round ``{"matches", "inliers"}`` (round 0 is ``h0`` itself when seed
            correspondences were given).
        seconds: wall time, seconds.
    """

    model: np.ndarray
    xy1: np.ndarray
    xy2: np.ndarray
    inliers: np.ndarray
    rounds: list[dict[str, int]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def n_inliers(self) -> int:
        """Number of inliers of the returned round."""
        return int(self.inliers.sum())

    def as_dict(self) -> dict[str, Any]:
        """Model, counts and timing, for JSON."""
        return {"model": self.model.tolist(), "matches": len(self.xy1),
                "inliers": self.n_inliers, "rounds": self.rounds, "seconds": self.seconds}


def _gray(image: Any, name: str) -> np.ndarray:
    from oculi.features._image import gray_uint8
    from oculi.features.methods import _check_finite

    return gray_uint8(_check_finite(image, name))


def _inside(xy: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Which ``(N, 2)`` points lie at least ``_BORDER`` pixels inside the ``valid`` mask."""
    import cv2

    core = cv2.erode(valid.astype(np.uint8), np.ones((2 * _BORDER + 1,) * 2, np.uint8))
    r = np.clip(np.round(xy).astype(np.int64), 0, [valid.shape[1] - 1, valid.shape[0] - 1])
    return core[r[:, 1], r[:, 0]] > 0


def refine_by_rectification(
    image1: Any, image2: Any, h0: Any, *, method: str = "sift", rounds: int = 3,
    radius: float = 8.0, ratio: float = 0.9, threshold: float = 2.0,
    directions: tuple[str, ...] = DIRECTIONS, seed_xy: tuple[Any, Any] | None = None,
    seed: int = 0,
) -> Refinement:
    """Refine a rough homography by warping one image into the other's frame and re-matching.

    Args:
        image1, image2: HW or HWC images (uint8, uint16 or float in [0, 1]).
        h0: ``3x3`` first estimate, image 1 -> image 2 (from any matcher).
        method: feature method re-run on the warped images (one with descriptors).
        rounds: rectify/re-match/re-fit rounds (>= 1).
        radius: guided-matching radius in pixels of the frame the matching happens in; it must
            cover the error of ``h0`` inside the overlap.
        ratio: ratio test among the candidates inside the radius.
        threshold: inlier threshold of the robust fit, pixels of image 2.
        directions: ``"1to2"`` (image 1 warped into image 2's frame) and/or ``"2to1"``; the
            matches of both are pooled.
        seed_xy: optional ``(xy1, xy2)`` correspondences (``(N, 2)`` each) added to every
            round's pool, e.g. the first matcher's.
        seed: seed of the robust estimator.

    Returns:
        :class:`Refinement` of the round with the most inliers.

    Raises:
        ParameterError: a bad ``h0``, ``rounds``, ``radius``, ``ratio``, ``threshold`` or
            direction.
        NoMatchError: no round found enough correspondences for a homography.
    """
    from oculi.features.methods import create_method
    from oculi.geometry import estimate_homography, fit_homography

    t0 = time.perf_counter()
    h = _as_homography(h0, "h0")
    check_positive(rounds, "rounds")
    check_positive(radius, "radius")
    check_positive(threshold, "threshold")
    if not 0 < ratio <= 1:
        raise ParameterError(f"ratio: expected a number in (0, 1], got {ratio!r}")
    bad = [d for d in directions if d not in DIRECTIONS]
    if bad or not directions:
        raise ParameterError(f"directions: expected some of {DIRECTIONS}, got {directions!r}")
    g1, g2 = _gray(image1, "image1"), _gray(image2, "image2")
    detect = create_method(method)
    full = {"1to2": detect(g2), "2to1": detect(g1)}   # the fixed image of each direction
    if seed_xy is not None:
        s1 = np.asarray(seed_xy[0], np.float64).reshape(-1, 2)
        s2 = np.asarray(seed_xy[1], np.float64).reshape(-1, 2)
    else:
        s1 = s2 = np.zeros((0, 2))
    best: Refinement | None = None
    history: list[dict[str, int]] = []
    for _ in range(int(rounds)):
        p1, p2 = [s1], [s2]
        for d in directions:
            fixed = full[d]
            if d == "1to2":
                warped, valid = warp_antialiased(g1, h, g2.shape)
            else:
                warped, valid = warp_antialiased(g2, np.linalg.inv(h), g1.shape)
            fw = detect(warped)
            keep = _inside(fw.xy.astype(np.float64), valid)
            xyw = fw.xy.astype(np.float64)[keep]
            iw, jf = guided_matches(xyw, fw.descriptors[keep], fixed.xy.astype(np.float64),
                                    fixed.descriptors, radius=radius, ratio=ratio)
            back = np.linalg.inv(h) if d == "1to2" else h
            mapped, _ = _project(back, xyw[iw])
            if d == "1to2":
                p1.append(mapped)
                p2.append(fixed.xy.astype(np.float64)[jf])
            else:
                p1.append(fixed.xy.astype(np.float64)[jf])
                p2.append(mapped)
        xy1, xy2 = np.concatenate(p1), np.concatenate(p2)
        ok = np.all(np.isfinite(xy1), 1) & np.all(np.isfinite(xy2), 1)
        xy1, xy2 = xy1[ok], xy2[ok]
        if len(xy1) < 8:
            history.append({"matches": len(xy1), "inliers": 0})
            break
        try:
            est = estimate_homography(xy1, xy2, threshold=threshold, seed=seed)
        except NoMatchError:
            history.append({"matches": len(xy1), "inliers": 0})
            break
        history.append({"matches": len(xy1), "inliers": est.n_inliers})
        try:   # least squares + LM on the inliers: the pooled points' own precision
            model = fit_homography(xy1[est.inliers], xy2[est.inliers])
        except NoMatchError:
            model = est.model
        model = model / model[2, 2]
        if best is None or est.n_inliers > best.n_inliers:
            best = Refinement(model, xy1, xy2, est.inliers.copy())
        h = model
    if best is None:
        raise NoMatchError(f"refinement: too few re-matched points for a homography "
                           f"({history[-1]['matches'] if history else 0})")
    best.rounds = history
    best.seconds = time.perf_counter() - t0
    return best
