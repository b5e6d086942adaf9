"""The largest axis-aligned rectangle inside a panorama's mask (the usual "crop" of a panorama).

Row by row, the heights of the runs of valid pixels ending at that row form a histogram whose
largest rectangle (stack algorithm) is the best rectangle with its bottom on that row; the best
over all rows is the answer, O(H W). It runs on a copy reduced to at most ``max_side`` pixels and
the rectangle is then shrunk at full resolution until it holds no invalid pixel.

    >>> import numpy as np
    >>> m = np.zeros((6, 8), np.uint8); m[1:5, 2:7] = 1; m[0, 0] = 1
    >>> largest_inner_rectangle(m)
    (2, 1, 7, 5)
"""

from __future__ import annotations

import numpy as np


def _largest_in_histogram(heights: np.ndarray) -> tuple[int, int, int, int]:
    """``(area, left, right_exclusive, height)`` of the largest rectangle under a histogram."""
    best = (0, 0, 0, 0)
    stack: list[int] = []
    hs = [*heights.tolist(), 0]
    for i, h in enumerate(hs):
        while stack and hs[stack[-1]] >= h:
            top = stack.pop()
            left = stack[-1] + 1 if stack else 0
            area = hs[top] * (i - left)
            if area > best[0]:
                best = (area, left, i, hs[top])
        stack.append(i)
    return best


def _largest(mask: np.ndarray) -> tuple[int, int, int, int]:
    h, w = mask.shape
    heights = np.zeros(w, np.int64)
    best = (0, 0, 0, 0, 0)
    for y in range(h):
        heights = np.where(mask[y], heights + 1, 0)
        if heights.max() * w <= best[0]:
            continue
        area, left, right, hh = _largest_in_histogram(heights)
        if area > best[0]:
            best = (area, left, y + 1 - hh, right, y + 1)
    return best[1:]


def largest_inner_rectangle(mask: np.ndarray, max_side: int = 400) -> tuple[int, int, int, int]:
    """Largest axis-aligned rectangle of non-zero pixels, ``(x0, y0, x1, y1)`` exclusive ends.

    Args:
        mask: HxW array, non-zero = valid.
        max_side: the search runs on a copy whose longer side is at most this.

    Returns:
        The box in ``mask`` pixels; ``(0, 0, 0, 0)`` for an empty mask.
    """
    import cv2

    m = (np.asarray(mask) > 0).astype(np.uint8)
    h, w = m.shape
    s = min(1.0, max_side / max(h, w))
    if s < 1.0:
        small = cv2.resize(m, (max(1, round(w * s)), max(1, round(h * s))),
                           interpolation=cv2.INTER_AREA)
        small = (small > 0).astype(np.uint8)
        # a reduced pixel is valid only if all pixels it covers are: erode the full mask first
        # (nearest sampling picks one pixel of the block, the block reaches 1/s beyond it)
        k = 2 * int(np.ceil(1 / s)) + 3
        eroded = cv2.erode(m, np.ones((k, k), np.uint8), borderType=cv2.BORDER_CONSTANT,
                           borderValue=0)
        small = cv2.resize(eroded, small.shape[::-1], interpolation=cv2.INTER_NEAREST) & small
    else:
        small = m
    x0, y0, x1, y1 = _largest(small)
    if x1 <= x0 or y1 <= y0:
        return (0, 0, 0, 0)
    if s < 1.0:
        x0, y0 = int(np.ceil(x0 / s)), int(np.ceil(y0 / s))
        x1, y1 = min(w, int(np.floor(x1 / s))), min(h, int(np.floor(y1 / s)))
        # safety net: trim the edge line with the most invalid pixels until the box is clean
        while x1 > x0 and y1 > y0 and not m[y0:y1, x0:x1].all():
            edges = {"top": m[y0, x0:x1], "bottom": m[y1 - 1, x0:x1],
                     "left": m[y0:y1, x0], "right": m[y0:y1, x1 - 1]}
            side = max(edges, key=lambda e: float((edges[e] == 0).mean()))
            if (edges[side] == 0).mean() == 0:  # a hole inside: cut the shorter way
                side = "bottom" if (y1 - y0) > (x1 - x0) else "right"
            if side == "top":
                y0 += 1
            elif side == "bottom":
                y1 -= 1
            elif side == "left":
                x0 += 1
            else:
                x1 -= 1
    return (int(x0), int(y0), int(x1), int(y1))
