"""Temporal smoothing of tracked plane corners that removes jitter without lag on real motion.

Each corner coordinate is fitted by a local polynomial (Savitzky-Golay: degree ``order`` over
``window`` frames centred on the frame), which follows any motion up to that degree without lag.
The fitted value replaces the measurement only where the two are close: the correction
``fit - measured`` is applied in full when its length is below ``threshold`` pixels, fades
linearly to nothing at ``2 * threshold`` and is dropped beyond. Tracking noise (a few tenths of a
pixel) is removed; a real jerk, a camera shake or a step, which the local fit cannot follow,
moves the fit far from the measurement and is kept as measured, so the smoother never lags it.

The fit is centred (it looks ``window // 2`` frames ahead), so a streaming caller delays its
output by that many frames. Runs of frames shorter than ``window`` (between frames marked not
visible) are left as measured.
"""

from __future__ import annotations

import numpy as np

from oculi.core.errors import ParameterError, ShapeError


def _runs(valid: np.ndarray) -> list[tuple[int, int]]:
    """``[start, stop)`` of each run of True."""
    v = np.r_[False, valid, False].astype(np.int8)
    d = np.diff(v)
    return list(zip(np.flatnonzero(d == 1), np.flatnonzero(d == -1), strict=True))


def smooth_corners(corners: np.ndarray, valid: np.ndarray | None = None, *, window: int = 9,
                   order: int = 2, threshold: float = 0.2) -> np.ndarray:
    """Smooth a corner trajectory (see the module docs).

    Args:
        corners: ``(N, 4, 2)`` (or ``(N, K, 2)``) float pixels per frame.
        valid: ``(N,)`` bool, frames to smooth (others are returned unchanged and split runs);
            default: frames with finite corners.
        window: Odd number of frames in each local fit (>= order + 2).
        order: Polynomial degree of the local fit (0..4).
        threshold: Largest correction (pixels) applied in full; corrections fade out up to twice
            this. 0 disables the smoothing.

    Returns:
        The smoothed ``(N, K, 2)`` float64 corners.

    Raises:
        ShapeError: corners not ``(N, K, 2)``.
        ParameterError: a bad window, order or threshold.
    """
    from scipy.signal import savgol_filter

    c = np.asarray(corners, np.float64)
    if c.ndim != 3 or c.shape[2] != 2:
        raise ShapeError(f"corners: expected (N, K, 2), got {c.shape}")
    if not 0 <= int(order) <= 4 or int(window) % 2 == 0 or int(window) < int(order) + 2:
        raise ParameterError(f"window, order: expected an odd window >= order + 2 and order in "
                             f"0..4, got window={window}, order={order}")
    if threshold < 0:
        raise ParameterError(f"threshold: expected >= 0 pixels, got {threshold}")
    ok = np.isfinite(c).all(axis=(1, 2))
    if valid is not None:
        ok &= np.asarray(valid, bool)
    out = c.copy()
    if threshold == 0:
        return out
    for a, b in _runs(ok):
        if b - a < window:
            continue
        seg = c[a:b]
        fit = savgol_filter(seg, int(window), int(order), axis=0, mode="interp")
        d = fit - seg
        dist = np.linalg.norm(d, axis=2, keepdims=True)
        w = np.clip(2 - dist / threshold, 0, 1)
        out[a:b] = seg + w * d
    return out
