"""FAST corner score of given pixels (compiled), so that the FAST wrapper needs no per-keypoint
Python access to ``cv2.KeyPoint`` objects.

The score of a corner is the largest threshold ``t`` for which it still passes the FAST-9 segment
test: nine contiguous pixels of the 16-pixel Bresenham circle of radius 3 all brighter than
``centre + t`` or all darker than ``centre - t``. For integer intensities that is
``max over arcs of (min over the arc of |I_p - I_centre|) - 1`` with one sign per arc. It equals
OpenCV's ``response`` of non-maximum-suppressed FAST keypoints (tests check this on photos).
"""

from __future__ import annotations

import functools

import numba as nb
import numpy as np

#: the circle of radius 3 in order (clockwise from the top), x and y offsets
_DX = np.array([0, 1, 2, 3, 3, 3, 2, 1, 0, -1, -2, -3, -3, -3, -2, -1], np.int64)
_DY = np.array([-3, -3, -2, -1, 0, 1, 2, 3, 3, 3, 2, 1, 0, -1, -2, -3], np.int64)


#: keypoints per block: the block's buffers (~28 KB) stay in cache and below the size at which
#: allocations are fresh (page-faulting) memory maps
_BLOCK = 128


@nb.njit(cache=True, nogil=True)
def _scores(img, xy, offsets, out):  # pragma: no cover - compiled
    """Scores into ``out``. Blocks of keypoints are laid out circle-position-major, so that the
    min/max passes run over contiguous rows (vectorised by the compiler)."""
    n = xy.shape[0]
    h, w = img.shape
    flat = img.ravel()
    d = np.empty((24, _BLOCK), np.int16)  # circle differences, the first 8 repeated at the end
    lo2 = np.empty((22, _BLOCK), np.int16)
    hi2 = np.empty((22, _BLOCK), np.int16)
    lo4 = np.empty((20, _BLOCK), np.int16)
    hi4 = np.empty((20, _BLOCK), np.int16)
    best = np.empty(_BLOCK, np.int16)
    for b0 in range(0, n, _BLOCK):
        m = min(_BLOCK, n - b0)
        for k in range(m):
            x = int(xy[b0 + k, 0])
            y = int(xy[b0 + k, 1])
            p = y * w + x if 3 <= x < w - 3 and 3 <= y < h - 3 else 3 * w + 3
            c = np.int16(flat[p])
            for i in range(16):
                d[i, k] = np.int16(flat[p + offsets[i]]) - c
            for i in range(8):
                d[16 + i, k] = d[i, k]
        # min / max over 2, then 4 consecutive circle pixels; an arc of 9 = 4 + 4 + 1
        for i in range(22):
            for k in range(m):
                a = d[i, k]
                b = d[i + 1, k]
                lo2[i, k] = min(a, b)
                hi2[i, k] = max(a, b)
        for i in range(20):
            for k in range(m):
                lo4[i, k] = min(lo2[i, k], lo2[i + 2, k])
                hi4[i, k] = max(hi2[i, k], hi2[i + 2, k])
        best[:m] = 0
        for s in range(16):
            for k in range(m):
                lo = min(min(lo4[s, k], lo4[s + 4, k]), d[s + 8, k])
                hi = max(max(hi4[s, k], hi4[s + 4, k]), d[s + 8, k])
                best[k] = max(best[k], max(lo, -hi) - 1)
        for k in range(m):
            x = int(xy[b0 + k, 0])
            y = int(xy[b0 + k, 1])
            inside = 3 <= x < w - 3 and 3 <= y < h - 3
            out[b0 + k] = best[k] if inside else 0.0


@functools.lru_cache(maxsize=8)
def _offsets(width: int) -> np.ndarray:
    """Flat index offsets of the circle pixels in a row-major image of this width."""
    return _DY * width + _DX


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
        _scores(img, np.ascontiguousarray(xy, np.float32), _offsets(img.shape[1]), out)
    return out
