"""Compiled inner loops of oculi's semi-global matcher (census cost, path aggregation, WTA).

Private: :mod:`oculi.stereo.sgm` is the public entry. Images are HxW float32 grey (0..255),
C-contiguous; cost volumes are HxWxD (D = number of disparities), disparity d of a left pixel
``(x, y)`` matches right pixel ``(x - d, y)``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

INVALID = np.float32(np.nan)


@njit(cache=True, inline="always")
def _popcount(v):  # pragma: no cover - compiled
    """Number of set bits of a uint64 (SWAR)."""
    v = v - ((v >> np.uint64(1)) & np.uint64(0x5555555555555555))
    v = (v & np.uint64(0x3333333333333333)) + ((v >> np.uint64(2)) & np.uint64(0x3333333333333333))
    v = (v + (v >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((v * np.uint64(0x0101010101010101)) >> np.uint64(56))


@njit(cache=True)
def census(img, rh, rw):  # pragma: no cover - compiled
    """Census transform: one bit per window neighbour darker than the centre (borders clamped).

    Args:
        img: HxW float32.
        rh, rw: window half height / half width; (2rh+1)(2rw+1) - 1 <= 64 bits.

    Returns:
        HxW uint64 bit strings.
    """
    h, w = img.shape
    out = np.zeros((h, w), np.uint64)
    for y in range(h):
        for x in range(w):
            c = img[y, x]
            bits = np.uint64(0)
            for dy in range(-rh, rh + 1):
                yy = min(max(y + dy, 0), h - 1)
                for dx in range(-rw, rw + 1):
                    if dy == 0 and dx == 0:
                        continue
                    xx = min(max(x + dx, 0), w - 1)
                    bits = bits << np.uint64(1)
                    if img[yy, xx] < c:
                        bits = bits | np.uint64(1)
            out[y, x] = bits
    return out


@njit(cache=True)
def census_cost(cl, cr, gl, gr, ndisp, ad_weight, ad_cap):  # pragma: no cover - compiled
    """Matching cost volume: Hamming distance of census strings (+ a capped gradient term).

    Args:
        cl, cr: HxW uint64 census of the left / right image.
        gl, gr: HxW float32 horizontal gradients of the left / right image.
        ndisp: number of disparities D (0..D-1).
        ad_weight: weight of the absolute gradient difference (0: census only).
        ad_cap: the gradient difference is clipped at this value.

    Returns:
        HxWxD int16 costs; disparities reaching past the left border reuse column 0.
    """
    h, w = cl.shape
    cost = np.empty((h, w, ndisp), np.int16)
    for y in range(h):
        for x in range(w):
            a = cl[y, x]
            g = gl[y, x]
            for d in range(ndisp):
                xr = max(x - d, 0)
                c = _popcount(a ^ cr[y, xr])
                if ad_weight > 0:
                    c += int(ad_weight * min(abs(g - gr[y, xr]), ad_cap) + 0.5)
                cost[y, x, d] = c
    return cost


@njit(cache=True, inline="always")
def _step(cost, y, x, src, sx, dst, p1, pen2):  # pragma: no cover - compiled
    """One recursion step into dst[x]: C(d) + min(src(d), src(d±1) + P1, min + P2) - min,
    with src = src[sx] (indices rather than row views keep the loop free of allocations; the
    end disparities are handled apart so that the inner loop has no branches and vectorises)."""
    nd = cost.shape[2]
    mn = src[sx, 0]
    for d in range(1, nd):
        mn = min(mn, src[sx, d])
    jump = mn + pen2
    dst[x, 0] = cost[y, x, 0] + min(min(src[sx, 0], src[sx, 1] + p1), jump) - mn
    for d in range(1, nd - 1):
        best = min(min(src[sx, d], jump), min(src[sx, d - 1], src[sx, d + 1]) + p1)
        dst[x, d] = cost[y, x, d] + best - mn
    e = nd - 1
    dst[x, e] = cost[y, x, e] + min(min(src[sx, e], src[sx, e - 1] + p1), jump) - mn


@njit(cache=True, inline="always")
def _adaptive_p2(a, b, p1, p2, gamma):  # pragma: no cover - compiled
    """P2 / (1 + |a - b| / gamma), at least P1 + 1 (constant P2 when gamma <= 0)."""
    if gamma <= 0:
        return p2
    pen2 = int(p2 / (1.0 + abs(a - b) / gamma))
    return max(pen2, p1 + 1)


@njit(cache=True)
def aggregate(cost, guide, dirs, p1, p2, p2_gamma):  # pragma: no cover - compiled
    """Sum of path costs L_r over the directions ``dirs`` (Hirschmüller's recursion), one path
    at a time: the reference for :func:`aggregate_two_pass`, which the matcher uses.

    L_r(p, d) = C(p, d) + min(L(p-r, d), L(p-r, d±1) + P1, min_k L(p-r, k) + P2') - min_k L(p-r, k)
    with P2' = max(P2 / (1 + |I(p) - I(p-r)| / gamma), P1 + 1): smaller across intensity edges.
    Paths with a vertical step keep only the previous row of L_r; horizontal ones the row itself.

    Args:
        cost: HxWxD int16 matching costs.
        guide: HxW float32 grey image (0..255) steering P2.
        dirs: Kx2 int64 path steps (dy, dx).
        p1, p2: penalties for a one-pixel and a larger disparity change.
        p2_gamma: intensity step (grey levels) halving P2 (<= 0: constant P2).

    Returns:
        HxWxD int32 aggregated costs.
    """
    h, w, nd = cost.shape
    total = np.zeros((h, w, nd), np.int32)
    prev = np.zeros((w, nd), np.int32)
    cur = np.zeros((w, nd), np.int32)
    for k in range(dirs.shape[0]):
        dy = dirs[k, 0]
        dx = dirs[k, 1]
        for yi in range(h):
            y = yi if dy >= 0 else h - 1 - yi
            py = y - dy
            for xi in range(w):
                x = xi if dx >= 0 else w - 1 - xi
                px = x - dx
                if py < 0 or py >= h or px < 0 or px >= w:
                    for d in range(nd):
                        cur[x, d] = cost[y, x, d]
                else:
                    pen2 = _adaptive_p2(guide[y, x], guide[py, px], p1, p2, p2_gamma)
                    _step(cost, y, x, prev if dy != 0 else cur, px, cur, p1, pen2)
                for d in range(nd):
                    total[y, x, d] += cur[x, d]
            if dy != 0:
                prev, cur = cur, prev
    return total


@njit(cache=True, inline="always")
def _parabola(cm, c0, cp):  # pragma: no cover - compiled
    """Sub-pixel offset of the minimum of the parabola through (-1, cm), (0, c0), (1, cp)."""
    den = cm - 2.0 * c0 + cp
    if den <= 0:
        return 0.0
    off = 0.5 * (cm - cp) / den
    return min(max(off, -0.5), 0.5)


@njit(cache=True)
def winner_take_all(total, uniqueness):  # pragma: no cover - compiled
    """Left disparities (sub-pixel, NaN when not unique) and right integer disparities.

    Args:
        total: HxWxD int32 aggregated costs.
        uniqueness: ratio in [0, 1); the best cost must be below (1 - ratio) x the best cost
            at a disparity more than one pixel away, else the pixel is invalid.

    Returns:
        (left HxW float32, right HxW float32) disparity maps; the right map is the
        winner of ``total[y, x + d, d]`` over d (the same volume seen from the right image).
    """
    h, w, nd = total.shape
    left = np.empty((h, w), np.float32)
    right = np.empty((h, w), np.float32)
    for y in range(h):
        for x in range(w):
            best = 0
            bc = total[y, x, 0]
            for d in range(1, nd):
                if total[y, x, d] < bc:
                    bc = total[y, x, d]
                    best = d
            second = np.int64(2**62)
            for d in range(nd):
                if abs(d - best) > 1 and total[y, x, d] < second:
                    second = total[y, x, d]
            if uniqueness > 0 and second < 2**62 and bc * 1.0 > (1.0 - uniqueness) * second:
                left[y, x] = INVALID
                continue
            off = 0.0
            if 0 < best < nd - 1:
                off = _parabola(float(total[y, x, best - 1]), float(bc),
                                float(total[y, x, best + 1]))
            left[y, x] = best + off
        for x in range(w):
            best = 0
            bc = np.int64(2**62)
            for d in range(nd):
                if x + d >= w:
                    break
                if total[y, x + d, d] < bc:
                    bc = total[y, x + d, d]
                    best = d
            right[y, x] = best
    return left, right


@njit(cache=True)
def lr_check(left, right, max_diff):  # pragma: no cover - compiled
    """Invalidate (NaN) left disparities whose right match points back more than ``max_diff``."""
    h, w = left.shape
    out = left.copy()
    for y in range(h):
        for x in range(w):
            d = left[y, x]
            if d != d:
                continue
            xr = int(np.floor(x - d + 0.5))
            if xr < 0 or abs(right[y, xr] - d) > max_diff:
                out[y, x] = INVALID
    return out


@njit(cache=True)
def remove_speckles(disp, max_size, max_diff):  # pragma: no cover - compiled
    """Invalidate 4-connected regions of similar disparity (steps <= max_diff) of <= max_size px."""
    h, w = disp.shape
    out = disp.copy()
    label = np.zeros((h, w), np.int32)
    stack = np.empty(h * w, np.int64)
    members = np.empty(h * w, np.int64)
    cur = 0
    for y0 in range(h):
        for x0 in range(w):
            if label[y0, x0] != 0 or disp[y0, x0] != disp[y0, x0]:
                continue
            cur += 1
            label[y0, x0] = cur
            top = 0
            n = 0
            stack[top] = y0 * w + x0
            top += 1
            while top > 0:
                top -= 1
                p = stack[top]
                members[n] = p
                n += 1
                y = p // w
                x = p - y * w
                v = disp[y, x]
                for k in range(4):
                    yy = y + (1 if k == 0 else (-1 if k == 1 else 0))
                    xx = x + (1 if k == 2 else (-1 if k == 3 else 0))
                    if yy < 0 or yy >= h or xx < 0 or xx >= w or label[yy, xx] != 0:
                        continue
                    u = disp[yy, xx]
                    if u == u and abs(u - v) <= max_diff:
                        label[yy, xx] = cur
                        stack[top] = yy * w + xx
                        top += 1
            if n <= max_size:
                for i in range(n):
                    out[members[i] // w, members[i] % w] = INVALID
    return out


@njit(cache=True)
def fill_holes(disp):  # pragma: no cover - compiled
    """Fill NaN runs of each row with the smaller (farther) of the nearest valid neighbours."""
    h, w = disp.shape
    out = disp.copy()
    for y in range(h):
        x = 0
        while x < w:
            if disp[y, x] == disp[y, x]:
                x += 1
                continue
            start = x
            while x < w and disp[y, x] != disp[y, x]:
                x += 1
            a = disp[y, start - 1] if start > 0 else np.float32(np.inf)
            b = disp[y, x] if x < w else np.float32(np.inf)
            v = min(a, b)
            if v == np.inf:
                continue
            for i in range(start, x):
                out[y, i] = v
    return out


@njit(cache=True)
def aggregate_two_pass(cost, guide, p1, p2, p2_gamma, diagonals):  # pragma: no cover - compiled
    """The same sums as :func:`aggregate` over 8 (or 4) paths in two sweeps of the volume.

    The downward sweep runs the paths entering from the left, top, top-left and top-right, the
    upward sweep the four opposite ones, so the cost volume and the sums are traversed twice
    instead of once per path.

    Args:
        cost: HxWxD int16 matching costs.
        guide: HxW float32 grey image (0..255) steering P2.
        p1, p2, p2_gamma: as in :func:`aggregate`.
        diagonals: True for 8 paths, False for the 4 horizontal and vertical ones.

    Returns:
        HxWxD int32 aggregated costs.
    """
    h, w, nd = cost.shape
    total = np.zeros((h, w, nd), np.int32)
    row = np.zeros((w, nd), np.int32)
    prev = np.zeros((3, w, nd), np.int32)
    cur = np.zeros((3, w, nd), np.int32)
    nv = 3 if diagonals else 1
    for sweep in range(2):
        sgn = 1 if sweep == 0 else -1
        for yi in range(h):
            y = yi if sgn > 0 else h - 1 - yi
            py = y - sgn
            for xi in range(w):  # the horizontal path, in the sweep's x direction
                x = xi if sgn > 0 else w - 1 - xi
                px = x - sgn
                if px < 0 or px >= w:
                    for d in range(nd):
                        row[x, d] = cost[y, x, d]
                else:
                    pen2 = _adaptive_p2(guide[y, x], guide[y, px], p1, p2, p2_gamma)
                    _step(cost, y, x, row, px, row, p1, pen2)
                for d in range(nd):
                    total[y, x, d] += row[x, d]
            for k in range(nv):  # vertical, then the two diagonals
                dx = 0 if k == 0 else (1 if k == 1 else -1)
                src = prev[k]
                dst = cur[k]
                for x in range(w):
                    px = x - dx
                    if py < 0 or py >= h or px < 0 or px >= w:
                        for d in range(nd):
                            dst[x, d] = cost[y, x, d]
                    else:
                        pen2 = _adaptive_p2(guide[y, x], guide[py, px], p1, p2, p2_gamma)
                        _step(cost, y, x, src, px, dst, p1, pen2)
                    for d in range(nd):
                        total[y, x, d] += dst[x, d]
            prev, cur = cur, prev
    return total
