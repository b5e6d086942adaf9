"""Compiled (numba, cached) kernels of oculi's SURF: box filters on an integral image, the
fast-Hessian layers, 3x3x3 non-maximum suppression with quadratic interpolation, Haar-wavelet
orientation and the 64/128-d descriptors.

All coordinates inside the kernels are ``(row, col)`` integers on the integral image ``ii`` of
shape ``(H + 1, W + 1)`` (``ii[r, c]`` = sum of ``image[:r, :c]``), float64.
"""

from __future__ import annotations

import math

import numba as nb
import numpy as np

_NB = {"cache": True, "nogil": True, "fastmath": True}


@nb.njit(inline="always", **_NB)
def _box_unsafe(ii, r, c, rows, cols):  # pragma: no cover - compiled
    """Sum of the ``rows x cols`` box with top-left pixel ``(r, c)``; no bounds checks."""
    return ii[r + rows, c + cols] - ii[r, c + cols] - ii[r + rows, c] + ii[r, c]


@nb.njit(inline="always", **_NB)
def _box(ii, r, c, rows, cols):  # pragma: no cover - compiled
    """Sum of the ``rows x cols`` box with top-left pixel ``(r, c)``, clipped to the image."""
    h = ii.shape[0] - 1
    w = ii.shape[1] - 1
    r0 = min(max(r, 0), h)
    c0 = min(max(c, 0), w)
    r1 = min(max(r + rows, 0), h)
    c1 = min(max(c + cols, 0), w)
    return ii[r1, c1] - ii[r0, c1] - ii[r1, c0] + ii[r0, c0]


@nb.njit(parallel=True, **_NB)
def hessian_octave(ii, sizes, step, det, sign):  # pragma: no cover - compiled
    """Fill ``det[m]`` (float32) and ``sign[m]`` (int8) for every filter side ``sizes[m]``.

    The grid is ``(i * step, j * step)``. Dxx, Dyy and Dxy are the box approximations of Bay et
    al. (lobe ``L / 3``), normalised by ``1 / L**2``; ``det = Dxx * Dyy - (0.9 * Dxy) ** 2`` and
    ``sign`` is the sign of the Laplacian ``Dxx + Dyy``. Samples whose filter leaves the image get
    ``det = 0``. One parallel launch per octave (rows split over threads).
    """
    h = ii.shape[0] - 1
    w = ii.shape[1] - 1
    n_layers, rows, cols = det.shape
    for i in nb.prange(rows):
        r = i * step
        for m in range(n_layers):
            size = sizes[m]
            lobe = size // 3
            b = (size - 1) // 2
            inv = 1.0 / (size * size)
            half = lobe // 2
            wide = 2 * lobe - 1
            for j in range(cols):
                c = j * step
                if r - b < 0 or r + b >= h or c - b < 0 or c + b >= w:
                    det[m, i, j] = 0.0
                    sign[m, i, j] = 0
                    continue
                dxx = _box_unsafe(ii, r - lobe + 1, c - b, wide, size) - 3.0 * _box_unsafe(
                    ii, r - lobe + 1, c - half, wide, lobe
                )
                dyy = _box_unsafe(ii, r - b, c - lobe + 1, size, wide) - 3.0 * _box_unsafe(
                    ii, r - half, c - lobe + 1, lobe, wide
                )
                dxy = (
                    _box_unsafe(ii, r - lobe, c + 1, lobe, lobe)
                    + _box_unsafe(ii, r + 1, c - lobe, lobe, lobe)
                    - _box_unsafe(ii, r - lobe, c - lobe, lobe, lobe)
                    - _box_unsafe(ii, r + 1, c + 1, lobe, lobe)
                )
                dxx *= inv
                dyy *= inv
                dxy *= inv
                det[m, i, j] = dxx * dyy - 0.81 * dxy * dxy
                sign[m, i, j] = 1 if dxx + dyy >= 0.0 else -1


@nb.njit(**_NB)
def _solve3(a, g):  # pragma: no cover - compiled
    """Solve ``a @ x = -g`` (3x3) by Cramer's rule; returns (ok, x0, x1, x2)."""
    d = (
        a[0, 0] * (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1])
        - a[0, 1] * (a[1, 0] * a[2, 2] - a[1, 2] * a[2, 0])
        + a[0, 2] * (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0])
    )
    if abs(d) < 1e-30:
        return False, 0.0, 0.0, 0.0
    b0, b1, b2 = -g[0], -g[1], -g[2]
    x0 = (
        b0 * (a[1, 1] * a[2, 2] - a[1, 2] * a[2, 1])
        - a[0, 1] * (b1 * a[2, 2] - a[1, 2] * b2)
        + a[0, 2] * (b1 * a[2, 1] - a[1, 1] * b2)
    ) / d
    x1 = (
        a[0, 0] * (b1 * a[2, 2] - a[1, 2] * b2)
        - b0 * (a[1, 0] * a[2, 2] - a[1, 2] * a[2, 0])
        + a[0, 2] * (a[1, 0] * b2 - b1 * a[2, 0])
    ) / d
    x2 = (
        a[0, 0] * (a[1, 1] * b2 - b1 * a[2, 1])
        - a[0, 1] * (a[1, 0] * b2 - b1 * a[2, 0])
        + b0 * (a[1, 0] * a[2, 1] - a[1, 1] * a[2, 0])
    ) / d
    return True, x0, x1, x2


@nb.njit(**_NB)
def find_extrema(lo, mid, hi, sign, step, size_mid, size_step, margin, threshold, max_offset, out):
    """3x3x3 maxima of ``mid`` above ``threshold`` with sub-pixel/sub-scale interpolation.

    Args:
        lo, mid, hi: three adjacent det layers of one octave, same ``(rows, cols)`` grid.
        sign: Laplacian sign of ``mid``.
        step: the grid's sampling step in pixels.
        size_mid: filter size of ``mid``; ``size_step`` the size difference between layers.
        margin: first/last grid index kept (the largest filter must fit).
        threshold: minimum det response.
        max_offset: largest accepted interpolation offset (grid units) in x, y and scale.
        out: ``(capacity, 5)`` float32 buffer for ``x, y, size, response, sign``.

    Returns:
        The number of rows written to ``out``.
    """
    rows, cols = mid.shape
    n = 0
    a = np.empty((3, 3))
    g = np.empty(3)
    cap = out.shape[0]
    for i in range(margin, rows - margin):
        for j in range(margin, cols - margin):
            v = mid[i, j]
            if v <= threshold:
                continue
            is_max = True
            for di in range(-1, 2):
                for dj in range(-1, 2):
                    if (
                        lo[i + di, j + dj] >= v
                        or hi[i + di, j + dj] >= v
                        or ((di != 0 or dj != 0) and mid[i + di, j + dj] >= v)
                    ):
                        is_max = False
                        break
                if not is_max:
                    break
            if not is_max:
                continue
            g[0] = 0.5 * (mid[i, j + 1] - mid[i, j - 1])
            g[1] = 0.5 * (mid[i + 1, j] - mid[i - 1, j])
            g[2] = 0.5 * (hi[i, j] - lo[i, j])
            a[0, 0] = mid[i, j + 1] + mid[i, j - 1] - 2.0 * v
            a[1, 1] = mid[i + 1, j] + mid[i - 1, j] - 2.0 * v
            a[2, 2] = hi[i, j] + lo[i, j] - 2.0 * v
            a[0, 1] = 0.25 * (mid[i + 1, j + 1] - mid[i + 1, j - 1] - mid[i - 1, j + 1]
                              + mid[i - 1, j - 1])
            a[0, 2] = 0.25 * (hi[i, j + 1] - hi[i, j - 1] - lo[i, j + 1] + lo[i, j - 1])
            a[1, 2] = 0.25 * (hi[i + 1, j] - hi[i - 1, j] - lo[i + 1, j] + lo[i - 1, j])
            a[1, 0] = a[0, 1]
            a[2, 0] = a[0, 2]
            a[2, 1] = a[1, 2]
            ok, ox, oy, os = _solve3(a, g)
            if not ok or abs(ox) > max_offset or abs(oy) > max_offset or abs(os) > max_offset:
                continue
            if n >= cap:
                return n
            out[n, 0] = (j + ox) * step
            out[n, 1] = (i + oy) * step
            out[n, 2] = size_mid + os * size_step
            out[n, 3] = v + 0.5 * (g[0] * ox + g[1] * oy + g[2] * os)
            out[n, 4] = sign[i, j]
            n += 1
    return n


@nb.njit(inline="always", **_NB)
def _haar_x(ii, r, c, s):  # pragma: no cover - compiled
    """Haar wavelet of side ``s`` (even) at ``(r, c)``: right half minus left half."""
    h = s // 2
    return _box(ii, r - h, c, s, h) - _box(ii, r - h, c - h, s, h)


@nb.njit(inline="always", **_NB)
def _haar_y(ii, r, c, s):  # pragma: no cover - compiled
    """Haar wavelet of side ``s`` (even) at ``(r, c)``: bottom half minus top half."""
    h = s // 2
    return _box(ii, r, c - h, h, s) - _box(ii, r - h, c - h, h, s)


@nb.njit(parallel=True, **_NB)
def orientations(ii, x, y, scale, out):  # pragma: no cover - compiled
    """Dominant orientation (radians, image axes, y down) of each keypoint.

    Haar responses of side ``4 s`` at the samples of a disc of radius ``6 s`` (spacing ``s``),
    Gaussian weighted (sigma ``2.5 s``); a 60-degree window slides in 5-degree steps and the
    longest summed response vector gives the angle.
    """
    n = x.shape[0]
    for k in nb.prange(n):
        s = scale[k]
        si = max(math.floor(s + 0.5), 1)
        hs = 2 * max(math.floor(2.0 * s + 0.5), 1)  # 4 s, even
        # responses summed into 72 bins of 5 degrees; a window of 12 consecutive bins is exactly
        # the 60-degree window starting at a bin edge, so the sweep costs 72 x 12 additions
        bx_ = np.zeros(72)
        by_ = np.zeros(72)
        r0 = math.floor(y[k] + 0.5)
        c0 = math.floor(x[k] + 0.5)
        for i in range(-6, 7):
            for j in range(-6, 7):
                if i * i + j * j < 36:
                    gw = math.exp(-(i * i + j * j) / (2.0 * 2.5 * 2.5))
                    dx = gw * _haar_x(ii, r0 + i * si, c0 + j * si, hs)
                    dy = gw * _haar_y(ii, r0 + i * si, c0 + j * si, hs)
                    b = int((math.atan2(dy, dx) + math.pi) * (36.0 / math.pi))
                    b = min(max(b, 0), 71)
                    bx_[b] += dx
                    by_[b] += dy
        best = -1.0
        bx = 0.0
        by = 0.0
        for w in range(72):
            sx = 0.0
            sy = 0.0
            for t in range(12):
                sx += bx_[(w + t) % 72]
                sy += by_[(w + t) % 72]
            if sx * sx + sy * sy > best:
                best = sx * sx + sy * sy
                bx = sx
                by = sy
        out[k] = math.atan2(by, bx)


@nb.njit(**_NB)
def _subregion_gaussian(span):  # pragma: no cover - compiled
    """M-SURF weights (sigma 2.5 samples) of each sample offset inside a ``span x span``
    sub-region, around its centre."""
    g = np.empty((span, span))
    for p in range(span):
        for q in range(span):
            dv = p - (span - 1) / 2.0
            du = q - (span - 1) / 2.0
            g[p, q] = math.exp(-(du * du + dv * dv) / (2.0 * 2.5 * 2.5))
    return g


@nb.njit(**_NB)
def _window_gaussian(grid):  # pragma: no cover - compiled
    """Bay et al.'s weights (sigma 3.3 samples) of each sample of the ``grid x grid`` window,
    around the keypoint."""
    half = grid // 2
    g = np.empty((grid, grid))
    for a in range(grid):
        for b in range(grid):
            v = a - half + 0.5
            u = b - half + 0.5
            g[a, b] = math.exp(-(u * u + v * v) / (2.0 * 3.3 * 3.3))
    return g


@nb.njit(inline="always", **_NB)
def _rotated_responses(ii, xk, yk, s, co, si, rdx, rdy):  # pragma: no cover - compiled
    """Haar responses of side ``2 s`` at the ``grid x grid`` samples (spacing ``s``) of the
    window of the keypoint at ``(xk, yk)`` oriented by ``(cos, sin) = (co, si)``, rotated into
    the keypoint frame, into ``rdx`` and ``rdy``."""
    grid = rdx.shape[0]
    half = grid // 2
    hs = 2 * max(math.floor(s + 0.5), 1)  # 2 s, even
    for a in range(grid):
        v = a - half + 0.5
        for b in range(grid):
            u = b - half + 0.5
            # sample (u, v) in units of s, keypoint frame (u along the orientation)
            r = math.floor(yk + (u * si + v * co) * s + 0.5)
            c = math.floor(xk + (u * co - v * si) * s + 0.5)
            hx = _haar_x(ii, r, c, hs)
            hy = _haar_y(ii, r, c, hs)
            rdx[a, b] = hx * co + hy * si
            rdy[a, b] = -hx * si + hy * co


@nb.njit(inline="always", **_NB)
def _accumulate(vals, dx, dy, extended):  # pragma: no cover - compiled
    """Add one weighted response to the sums ``dx, |dx|, dy, |dy|`` (``extended``: each split by
    the sign of the other component, 8 sums)."""
    if extended:
        if dy >= 0.0:
            vals[0] += dx
            vals[1] += abs(dx)
        else:
            vals[2] += dx
            vals[3] += abs(dx)
        if dx >= 0.0:
            vals[4] += dy
            vals[5] += abs(dy)
        else:
            vals[6] += dy
            vals[7] += abs(dy)
    else:
        vals[0] += dx
        vals[1] += abs(dx)
        vals[2] += dy
        vals[3] += abs(dy)


@nb.njit(inline="always", **_NB)
def _subregion_sums(rdx, rdy, g_sub, g_win, sr, sc, modified, extended, vals):  # pragma: no cover
    """Weighted sums of sub-region ``(sr, sc)`` (samples from ``(5 sr, 5 sc)``, ``span`` =
    ``g_sub``'s side) into ``vals``: per-sample-offset weights (M-SURF) or window weights."""
    span = g_sub.shape[0]
    for p in range(span):
        for q in range(span):
            a = sr * 5 + p
            b = sc * 5 + q
            gw = g_sub[p, q] if modified else g_win[a, b]
            _accumulate(vals, gw * rdx[a, b], gw * rdy[a, b], extended)


@nb.njit(inline="always", **_NB)
def _store_normalised(desc, out, k):  # pragma: no cover - compiled
    """``out[k] = desc / |desc|`` (zeros for a zero vector)."""
    dim = out.shape[1]
    norm = 0.0
    for t in range(dim):
        norm += desc[t] * desc[t]
    norm = math.sqrt(norm)
    for t in range(dim):
        out[k, t] = desc[t] / norm if norm > 0.0 else 0.0


@nb.njit(parallel=True, **_NB)
def descriptors(ii, x, y, scale, angle, extended, modified, out):  # pragma: no cover
    """SURF descriptors of each keypoint into ``out`` (``(N, 64)`` or ``(N, 128)`` float32).

    The oriented window is split into 4x4 sub-regions; each sums the rotated Haar responses
    ``dx, |dx|, dy, |dy|`` (extended: split by the sign of the other component) of side ``2 s``
    at sample spacing ``s``. ``modified=False``: Bay et al.'s 20 s window, 5x5 samples per
    sub-region, one Gaussian (sigma 3.3 s). ``modified=True``: the M-SURF variant (Agrawal et al.
    2008): 24 s window, sub-regions of 9x9 samples overlapping their neighbours by 2 samples,
    Gaussian (2.5 s) around each sub-region centre and a second one (1.5 units) over sub-regions.
    The Haar responses are computed once on the window's sample grid (20x20 or 24x24) and shared
    by overlapping sub-regions. The vector is normalised to unit length.
    """
    n = x.shape[0]
    dim = out.shape[1]
    grid = 24 if modified else 20
    span = 9 if modified else 5  # samples per sub-region side
    # Gaussian weights: per sample offset inside a sub-region (M-SURF) or over the window (Bay)
    g_sub = _subregion_gaussian(span)
    g_win = _window_gaussian(grid)
    width = 8 if extended else 4
    for k in nb.prange(n):
        co = math.cos(angle[k])
        si = math.sin(angle[k])
        rdx = np.empty((grid, grid))
        rdy = np.empty((grid, grid))
        _rotated_responses(ii, x[k], y[k], scale[k], co, si, rdx, rdy)
        desc = np.zeros(dim)
        idx = 0
        for sr in range(4):
            for sc in range(4):
                vals = np.zeros(8)
                _subregion_sums(rdx, rdy, g_sub, g_win, sr, sc, modified, extended, vals)
                wsub = 1.0
                if modified:
                    wsub = math.exp(-((sc - 1.5) ** 2 + (sr - 1.5) ** 2) / (2.0 * 1.5 * 1.5))
                for t in range(width):
                    desc[idx + t] = vals[t] * wsub
                idx += width
        _store_normalised(desc, out, k)


@nb.njit(inline="always", **_NB)
def _det_at(ii, r, c, size):  # pragma: no cover - compiled
    """Normalised box-filter Hessian determinant at pixel ``(r, c)`` for filter side ``size``
    (as :func:`hessian_octave`); 0 when the filter leaves the image."""
    h = ii.shape[0] - 1
    w = ii.shape[1] - 1
    lobe = size // 3
    b = (size - 1) // 2
    if r - b < 0 or r + b >= h or c - b < 0 or c + b >= w:
        return 0.0
    half = lobe // 2
    wide = 2 * lobe - 1
    inv = 1.0 / (size * size)
    dxx = _box_unsafe(ii, r - lobe + 1, c - b, wide, size) - 3.0 * _box_unsafe(
        ii, r - lobe + 1, c - half, wide, lobe)
    dyy = _box_unsafe(ii, r - b, c - lobe + 1, size, wide) - 3.0 * _box_unsafe(
        ii, r - half, c - lobe + 1, lobe, wide)
    dxy = (_box_unsafe(ii, r - lobe, c + 1, lobe, lobe)
           + _box_unsafe(ii, r + 1, c - lobe, lobe, lobe)
           - _box_unsafe(ii, r - lobe, c - lobe, lobe, lobe)
           - _box_unsafe(ii, r + 1, c + 1, lobe, lobe))
    dxx *= inv
    dyy *= inv
    dxy *= inv
    return dxx * dyy - 0.81 * dxy * dxy


@nb.njit(**_NB)
def refine_positions(ii, x, y, size_lo, size_mid, size_hi, fine, iters):  # pragma: no cover
    """Re-fit the sub-pixel position of maxima found on a coarse grid, on a grid of ``fine`` px.

    :func:`find_extrema` interpolates each maximum on its octave's sampling grid (``step`` px);
    a quadratic through samples that far apart is biased towards the centre sample. Here the
    determinant is sampled again at the three filter sides in a 3x3 neighbourhood of spacing
    ``fine`` (< ``step``) around the estimate, the 3-D quadratic is fitted anew, and the centre
    moves to the neighbouring sample while the offset exceeds half a spacing (at most ``iters``
    times, as Lowe's SIFT). ``x``, ``y`` (float64 pixels) are updated in place; where the fit
    fails, is no maximum or leaves the window, the coarse estimate is kept. ``size_lo``,
    ``size_mid``, ``size_hi`` (int64, per point) are the filter sides of the maximum's layers.
    Serial: a few microseconds per point, less than a parallel launch costs on a busy machine.
    """
    n = x.shape[0]
    cube = np.empty((3, 3, 3))
    a = np.empty((3, 3))
    g = np.empty(3)
    for k in range(n):
        c0 = math.floor(x[k] / fine + 0.5) * fine
        r0 = math.floor(y[k] / fine + 0.5) * fine
        for _ in range(iters):
            for li in range(3):
                size = size_lo[k] if li == 0 else (size_mid[k] if li == 1 else size_hi[k])
                for di in range(3):
                    for dj in range(3):
                        cube[li, di, dj] = _det_at(ii, r0 + (di - 1) * fine,
                                                   c0 + (dj - 1) * fine, size)
            v = cube[1, 1, 1]
            lo = cube[0]
            mid = cube[1]
            hi = cube[2]
            g[0] = 0.5 * (mid[1, 2] - mid[1, 0])
            g[1] = 0.5 * (mid[2, 1] - mid[0, 1])
            g[2] = 0.5 * (hi[1, 1] - lo[1, 1])
            a[0, 0] = mid[1, 2] + mid[1, 0] - 2.0 * v
            a[1, 1] = mid[2, 1] + mid[0, 1] - 2.0 * v
            a[2, 2] = hi[1, 1] + lo[1, 1] - 2.0 * v
            a[0, 1] = 0.25 * (mid[2, 2] - mid[2, 0] - mid[0, 2] + mid[0, 0])
            a[0, 2] = 0.25 * (hi[1, 2] - hi[1, 0] - lo[1, 2] + lo[1, 0])
            a[1, 2] = 0.25 * (hi[2, 1] - hi[0, 1] - lo[2, 1] + lo[0, 1])
            a[1, 0] = a[0, 1]
            a[2, 0] = a[0, 2]
            a[2, 1] = a[1, 2]
            if a[0, 0] >= 0.0 or a[1, 1] >= 0.0:  # no maximum in position at this spacing
                break
            ok, ox, oy, _os = _solve3(a, g)
            if not ok or abs(ox) > 1.5 or abs(oy) > 1.5:
                break
            if abs(ox) <= 0.5 and abs(oy) <= 0.5:
                x[k] = c0 + ox * fine
                y[k] = r0 + oy * fine
                break
            c0 += math.floor(ox + 0.5) * fine
            r0 += math.floor(oy + 0.5) * fine
