"""Lucas–Kanade: dense pyramidal windowed least squares, and OpenCV's sparse point tracker.

Dense LK solves, at every pixel, the 2x2 normal equations of the linearised brightness constancy
summed over a Gaussian window (Lucas & Kanade 1981), coarse-to-fine with warping; a small Tikhonov
term keeps flat regions well posed and a median filter after every warp removes outliers.
"""

from __future__ import annotations

import math

import numpy as np

from oculi.core.checks import check_positive
from oculi.core.errors import ShapeError
from oculi.flow._base import check_pair, gray_pair, methods, uint8_gray_pair
from oculi.flow.hs import (
    _check_coarse_to_fine,
    _derivs,
    _linearise,
    _n_levels,
    _pyramid,
    _resize_flow,
)


def lucas_kanade(
    image1: np.ndarray,
    image2: np.ndarray,
    *,
    sigma: float = 2.5,
    pyramid_scale: float = 0.5,
    levels: int | None = None,
    min_size: int = 16,
    warps: int = 3,
    regularization: float = 1.0,
    median_size: int = 5,
) -> np.ndarray:
    """Dense pyramidal Lucas–Kanade flow from ``image1`` to ``image2``.

    Args:
        image1, image2: frames, HxW or HxWx3 (RGB), uint8/uint16 or float in [0, 1].
        sigma: standard deviation of the Gaussian integration window, pixels.
        pyramid_scale: size ratio between pyramid levels, in (0, 1).
        levels: pyramid levels; ``None``: down to ``min_size`` pixels on the short side.
        min_size: smallest short side of the coarsest level, pixels.
        warps: re-linearisations per level.
        regularization: added to the diagonal of the 2x2 structure tensor (intensity^2 units on
            a 0..255 scale), so textureless windows give a small, not a wild, increment.
        median_size: median filter (3 or 5) after each warp; 0 or 1 disables.

    Returns:
        HxWx2 float32 flow, pixels.

    Raises:
        ShapeError: the frames differ in size or channels.
        ParameterError: a setting outside its range (e.g. ``levels`` or ``warps`` below 1).
    """
    import cv2

    check_positive(sigma, "sigma")
    check_positive(regularization, "regularization", allow_zero=True)
    _check_coarse_to_fine(pyramid_scale, levels, min_size, warps, median_size)
    i1, i2 = gray_pair(image1, image2)
    h, w = i1.shape
    n = int(levels) if levels is not None else _n_levels(h, w, pyramid_scale, min_size)
    p1, p2 = _pyramid(i1, pyramid_scale, n), _pyramid(i2, pyramid_scale, n)
    flow = np.zeros((*p1[-1].shape, 2), np.float32)
    ksize = 2 * math.ceil(3 * sigma) + 1

    def win(a: np.ndarray) -> np.ndarray:
        return cv2.GaussianBlur(a, (ksize, ksize), sigma, borderType=cv2.BORDER_REPLICATE)

    for lvl in range(n - 1, -1, -1):
        l1, l2 = p1[lvl], p2[lvl]
        if flow.shape[:2] != l1.shape:
            flow = _resize_flow(flow, *l1.shape)
        u, v = np.ascontiguousarray(flow[..., 0]), np.ascontiguousarray(flow[..., 1])
        g1 = _derivs(l1)
        for _ in range(warps):
            ix, iy, it = _linearise(l1, l2, g1, u, v, 0.5)
            a11 = win(ix * ix) + np.float32(regularization)
            a12 = win(ix * iy)
            a22 = win(iy * iy) + np.float32(regularization)
            b1 = -win(ix * it)
            b2 = -win(iy * it)
            det = a11 * a22 - a12 * a12
            det = np.where(det > 1e-9, det, np.float32(np.inf))
            u = u + (a22 * b1 - a12 * b2) / det
            v = v + (a11 * b2 - a12 * b1) / det
            if median_size > 1:
                u = cv2.medianBlur(u, median_size)  # float32 throughout
                v = cv2.medianBlur(v, median_size)
        flow = np.dstack([u, v])
    return np.ascontiguousarray(flow, np.float32)


def track_points(
    image1: np.ndarray,
    image2: np.ndarray,
    points: np.ndarray,
    *,
    window: int = 21,
    levels: int = 3,
    max_error: float | None = None,
    fb_threshold: float | None = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Track points from ``image1`` to ``image2`` with sparse pyramidal LK (OpenCV).

    Args:
        image1, image2: frames of the same size and channel count.
        points: Nx2 float ``(x, y)`` pixel positions in ``image1``.
        window: side of the square search window, pixels.
        levels: pyramid levels above the full resolution (0 = single scale).
        max_error: drop points whose LK residual (mean absolute grey difference, 0..255) is above.
        fb_threshold: forward–backward check: drop points that, tracked back, land farther than
            this many pixels from where they started; ``None`` skips the check.

    Returns:
        ``(points2, status)``: Nx2 float32 positions in ``image2`` and an N bool array, true
        where the point was tracked (lost points keep NaN positions).

    Raises:
        ShapeError: ``points`` is not Nx2.
    """
    import cv2

    check_pair(image1, image2)
    pts = np.asarray(points, dtype=np.float32)
    if pts.ndim != 2 or pts.shape[1] != 2:
        raise ShapeError(f"points: expected an Nx2 array of (x, y), got shape {pts.shape}")
    check_positive(window, "window")
    n = len(pts)
    if n == 0:
        return np.zeros((0, 2), np.float32), np.zeros(0, bool)
    a, b = uint8_gray_pair(image1, image2)
    params = {"winSize": (int(window), int(window)), "maxLevel": int(levels),
              "criteria": (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT, 30, 0.01)}
    p0 = pts.reshape(-1, 1, 2)
    p1, st, err = cv2.calcOpticalFlowPyrLK(a, b, p0, None, **params)
    ok = st.reshape(-1).astype(bool)
    if max_error is not None:
        ok &= err.reshape(-1) <= max_error
    if fb_threshold is not None:
        back, st2, _ = cv2.calcOpticalFlowPyrLK(b, a, p1, None, **params)
        dist = np.linalg.norm(back.reshape(-1, 2) - pts, axis=1)
        ok &= st2.reshape(-1).astype(bool) & (dist <= fb_threshold)
    out = p1.reshape(-1, 2).astype(np.float32)
    out[~ok] = np.nan
    return out, ok


methods.register("lk", lucas_kanade, help="dense pyramidal Lucas–Kanade (oculi)",
                 aliases=("lucas-kanade",))
