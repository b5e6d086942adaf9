"""Private: reading order for text lines found by a detector (PP-OCR), in the text's own frame.

1. The dominant text direction is the median angle of the long line quadrilaterals; boxes are
   rotated by minus that angle, so a skewed page orders like a straight one.
2. Lines are ordered by a recursive XY-cut (Nagy & Seth, 1984): a region is split at every
   vertical gap that no line crosses (columns, left to right) when every side spans several
   rows (a real gutter, not a wide word gap inside a short region) or the region is a single
   row; otherwise at its widest horizontal gap (top part first); a region with neither is read
   top to bottom, left to right. Each column found by a vertical cut becomes a block.
3. Consecutive pieces of one block that overlap vertically by half their height are one row
   (a detector often splits a justified line at wide word gaps).
"""

from __future__ import annotations

import math

import numpy as np


def dominant_angle(quads: np.ndarray) -> float:
    """Median direction (degrees, image coordinates) of the top edges of wide quadrilaterals."""
    angles = []
    for q in quads:
        top = q[1] - q[0]
        side = np.linalg.norm(q[3] - q[0])
        if np.linalg.norm(top) > 2 * max(side, 1e-6):
            angles.append(math.degrees(math.atan2(top[1], top[0])))
    return float(np.median(angles)) if angles else 0.0


def _boxes_in_text_frame(quads: np.ndarray) -> np.ndarray:
    t = math.radians(-dominant_angle(quads))
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    pts = quads @ rot.T  # N x 4 x 2
    return np.concatenate([pts.min(axis=1), pts.max(axis=1)], axis=1)  # N x 4 xyxy


def _split(boxes: np.ndarray, idx: list[int], axis: int) -> list[list[int]]:
    """Split ``idx`` at every gap of the projection on ``axis`` (0: x, 1: y) that no box crosses."""
    order = sorted(idx, key=lambda k: boxes[k][axis])
    groups, cur, end = [], [], -math.inf
    for k in order:
        lo, hi = boxes[k][axis], boxes[k][axis + 2]
        if cur and lo > end:
            groups.append(cur)
            cur = []
        cur.append(k)
        end = max(end, hi)
    groups.append(cur)
    return groups


def _span_rows(boxes: np.ndarray, idx: list[int], height: float) -> bool:
    """True when the boxes ``idx`` cover more than one text row (y-span over 1.5 heights)."""
    return boxes[idx, 3].max() - boxes[idx, 1].min() > 1.5 * height


def _xycut(
    boxes: np.ndarray, idx: list[int], height: float, block: list[int],
    out: list[tuple[int, int]],
) -> None:
    if len(idx) == 1:
        out.append((idx[0], block[0]))
        return
    if not _span_rows(boxes, idx, height):  # one row: its pieces left to right
        out.extend((k, block[0]) for k in sorted(idx, key=lambda k: boxes[k][0]))
        return
    cols = _split(boxes, idx, 0)
    # a column cut needs several rows on every side (a gutter); otherwise a wide word gap in
    # a short region would split its lines apart
    if len(cols) > 1 and all(_span_rows(boxes, c, height) for c in cols):
        for col in cols:
            block[0] += 1
            _xycut(boxes, col, height, block, out)
        return
    rows = _split(boxes, idx, 1)
    if len(rows) > 1:
        # cut at the widest horizontal gap only: a title above two columns comes off first,
        # the columns below are then split by the vertical rule instead of row by row
        gaps = [boxes[rows[i + 1], 1].min() - boxes[rows[i], 3].max() for i in range(len(rows) - 1)]
        g = int(np.argmax(gaps)) + 1
        for part in ([k for r in rows[:g] for k in r], [k for r in rows[g:] for k in r]):
            _xycut(boxes, part, height, block, out)
        return
    for k in sorted(idx, key=lambda k: ((boxes[k][1] + boxes[k][3]) / 2, boxes[k][0])):
        out.append((k, block[0]))


def reading_order(quads: np.ndarray) -> list[tuple[list[int], int]]:
    """Rows in reading order for N 4x2 line quadrilaterals.

    Returns:
        ``(line indices of one row, left to right; block number)`` per row: consecutive pieces
        of one block that overlap vertically by half their height form one row.
    """
    q = np.asarray(quads, np.float64).reshape(-1, 4, 2)
    if not len(q):
        return []
    boxes = _boxes_in_text_frame(q)
    height = float(np.median(boxes[:, 3] - boxes[:, 1]))
    ordered: list[tuple[int, int]] = []
    _xycut(boxes, list(range(len(boxes))), height, [0], ordered)
    rows: list[tuple[list[int], int]] = []
    for k, blk in ordered:
        if rows and rows[-1][1] == blk:
            last = rows[-1][0][-1]
            a, b = boxes[last], boxes[k]
            yov = min(a[3], b[3]) - max(a[1], b[1])
            if yov >= 0.5 * min(a[3] - a[1], b[3] - b[1]) and b[0] >= a[2] - 0.5 * height:
                rows[-1][0].append(k)
                continue
        rows.append(([k], blk))
    return rows
