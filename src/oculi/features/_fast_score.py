"""FAST corner score of given pixels (compiled), so that the FAST wrapper needs no per-keypoint
Python access to ``cv2.KeyPoint`` objects.

The score of a corner is the largest threshold ``t`` for which it still passes the FAST-9 segment
test: nine contiguous pixels of the 16-pixel Bresenham circle of radius 3 all brighter than
``centre + t`` or all darker than ``centre - t``. For integer intensities that is
``max over arcs of (min over the arc of |I_p - I_centre|) - 1`` with one sign per arc. It equals
OpenCV's ``response`` of non-maximum-suppressed FAST keypoints (tests check this on photos).
"""

from __future__ import annotations

import numba as nb
import numpy as np

#: the circle of radius 3 in order (clockwise from the top), x and y offsets
_DX = np.array([0, 1, 2, 3, 3, 3, 2, 1, 0, -1, -2, -3, -3, -3, -2, -1], np.int64)
_DY = np.array([-3, -3, -2, -1, 0, 1, 2, 3, 3, 3, 2, 1, 0, -1, -2, -3], np.int64)


@nb.njit(cache=True, nogil=True)
def _scores(img, xy, offsets, out):  # pragma: no cover - compiled
    """Scores into ``out``; laid out circle-position-major so the min/max passes run over
    contiguous rows of all keypoints (vectorised by the compiler)."""
    n = xy.shape[0]
    h, w = img.shape
    flat = img.ravel()
    d = np.empty((24, n), np.int16)  # circle differences, the first 8 repeated at the end
    inside = np.empty(n, np.bool_)
    for k in range(n):
        x = int(xy[k, 0])
        y = int(xy[k, 1])
        inside[k] = 3 <= x < w - 3 and 3 <= y < h - 3
        p = y * w + x if inside[k] else 3 * w + 3
        c = np.int16(flat[p])
        for i in range(16):
            d[i, k] = np.int16(flat[p + offsets[i]]) - c
        for i in range(8):
            d[16 + i, k] = d[i, k]
    # min / max over 2, then 4 consecutive circle pixels; an arc of 9 = 4 + 4 + 1
    lo2 = np.empty((22, n), np.int16)
    hi2 = np.empty((22, n), np.int16)
    for i in range(22):
        for k in range(n):
            a = d[i, k]
            b = d[i + 1, k]
            lo2[i, k] = min(a, b)
            hi2[i, k] = max(a, b)
    lo4 = np.empty((20, n), np.int16)
    hi4 = np.empty((20, n), np.int16)
    for i in range(20):
        for k in range(n):
            lo4[i, k] = min(lo2[i, k], lo2[i + 2, k])
            hi4[i, k] = max(hi2[i, k], hi2[i + 2, k])
    best = np.zeros(n, np.int16)
    for s in range(16):
        for k in range(n):
            lo = min(min(lo4[s, k], lo4[s + 4, k]), d[s + 8, k])
            hi = max(max(hi4[s, k], hi4[s + 4, k]), d[s + 8, k])
            best[k] = max(best[k], max(lo, -hi) - 1)
    for k in range(n):
        out[k] = best[k] if inside[k] else 0.0


def fast_scores(gray: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """FAST-9 scores of integer pixel positions.

    Args:
        gray: ``(H, W)`` uint8 image.
        xy: ``(N, 2)`` float32 ``(x, y)`` of pixels (integers, as FAST reports them).

    Returns:
        ``(N,)`` float32 scores (0 within 3 pixels of the border).
    """
    out = np.empty(len(xy), np.float32)
    if len(xy):
        img = np.ascontiguousarray(gray, np.uint8)
        offsets = _DY * img.shape[1] + _DX  # flat index offsets of the circle pixels
        _scores(img, np.ascontiguousarray(xy, np.float32), offsets, out)
    return out
