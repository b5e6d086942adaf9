"""Compiled (numba, cached) inner loops of the correlation-filter tracker.

Private: :mod:`oculi.track.features` and :mod:`oculi.track.dcf` are the public entries.
Images are HxWxC float32, C-contiguous, values in [0, 1].
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

_NB = {"cache": True, "nogil": True, "fastmath": True}

_N_SIGNED = 18  # orientation bins over 360 degrees
_N_UNSIGNED = 9  # the same bins folded over 180 degrees
_CLIP = 0.2  # clipping of the block-normalised histograms (Dalal & Triggs)
_EPS = 1e-4  # keeps the normalisers finite in flat regions


@njit(inline="always", **_NB)
def _angle01(gy, gx):  # pragma: no cover - compiled
    """Gradient direction as a fraction of a full turn, in [0, 1) (polynomial atan2,
    error under 2e-6 turns)."""
    ax = abs(gx)
    ay = abs(gy)
    mx = max(ax, ay)
    if mx == 0.0:
        return np.float32(0.0)
    z = min(ax, ay) / mx
    z2 = z * z
    a = z * (np.float32(0.9998660) + z2 * (np.float32(-0.3302995) + z2 * (
        np.float32(0.1801410) + z2 * (np.float32(-0.0851330) + z2 * np.float32(0.0208351)))))
    if ay > ax:
        a = np.float32(0.5 * math.pi) - a
    if gx < 0.0:
        a = np.float32(math.pi) - a
    if gy < 0.0:
        a = np.float32(2.0 * math.pi) - a
    t = a * np.float32(1.0 / (2.0 * math.pi))
    return t if t < 1.0 else t - np.float32(1.0)


@njit(**_NB)
def orientation_histograms(img, cell):  # pragma: no cover - compiled
    """Per-cell histograms of gradient orientation, weighted by gradient magnitude.

    The gradient of each pixel is the central difference of the channel with the largest
    magnitude (one-sided at the border); its orientation is split linearly between the two
    nearest of 18 signed bins, and its position bilinearly between the four nearest cells.

    Args:
        img: HxWxC float32 image.
        cell: cell side in pixels.

    Returns:
        (H // cell, W // cell, 18) float32 histograms.
    """
    h, w, nch = img.shape
    hc = h // cell
    wc = w // cell
    hist = np.zeros((hc + 2, wc + 2, _N_SIGNED), np.float32)  # one cell of margin each side
    inv_cell = np.float32(1.0 / cell)
    # per-column cell index (with margin) and weights
    xcell = np.empty(w, np.int64)
    xw1 = np.empty(w, np.float32)
    for x in range(w):
        fx = (x + np.float32(0.5)) * inv_cell - np.float32(0.5)
        x0 = math.floor(fx)
        xcell[x] = min(max(x0, -1), wc) + 1
        xw1[x] = fx - x0
    for y in range(h):
        ym = max(y - 1, 0)
        yp = min(y + 1, h - 1)
        fy = (y + np.float32(0.5)) * inv_cell - np.float32(0.5)
        y0 = math.floor(fy)
        cy = min(max(y0, -1), hc) + 1
        wy1 = fy - y0
        wy0 = np.float32(1.0) - wy1
        for x in range(w):
            xm = max(x - 1, 0)
            xp = min(x + 1, w - 1)
            best = np.float32(-1.0)
            gx = np.float32(0.0)
            gy = np.float32(0.0)
            for c in range(nch):
                dx = img[y, xp, c] - img[y, xm, c]
                dy = img[yp, x, c] - img[ym, x, c]
                m2 = dx * dx + dy * dy
                if m2 > best:
                    best = m2
                    gx = dx
                    gy = dy
            if best <= 0.0:
                continue
            mag = math.sqrt(best)
            fb = _angle01(gy, gx) * np.float32(_N_SIGNED)
            b0 = int(fb)
            wb1 = fb - b0
            b0 = b0 % _N_SIGNED
            b1 = b0 + 1 if b0 + 1 < _N_SIGNED else 0
            m1 = mag * wb1
            m0 = mag - m1
            cx = xcell[x]
            wx1 = xw1[x]
            wx0 = np.float32(1.0) - wx1
            w00 = wy0 * wx0
            w01 = wy0 * wx1
            w10 = wy1 * wx0
            w11 = wy1 * wx1
            hist[cy, cx, b0] += m0 * w00
            hist[cy, cx, b1] += m1 * w00
            hist[cy, cx + 1, b0] += m0 * w01
            hist[cy, cx + 1, b1] += m1 * w01
            hist[cy + 1, cx, b0] += m0 * w10
            hist[cy + 1, cx, b1] += m1 * w10
            hist[cy + 1, cx + 1, b0] += m0 * w11
            hist[cy + 1, cx + 1, b1] += m1 * w11
    return hist[1:hc + 1, 1:wc + 1]


@njit(**_NB)
def normalise_histograms(hist, out):  # pragma: no cover - compiled
    """Block-normalised HOG features (31 per cell) from orientation histograms.

    Each cell is normalised by the energy of the four 2x2-cell blocks that contain it; the
    clipped results give 18 signed and 9 unsigned orientation features (summed over the four
    normalisations) and 4 texture features (summed over orientations, one per normalisation).

    Args:
        hist: (h, w, 18) float32 histograms from :func:`orientation_histograms`.
        out: (h, w, >= 31) float32 array; channels 0..30 are written.
    """
    hc, wc, _ = hist.shape
    energy = np.empty((hc, wc), np.float32)
    for i in range(hc):
        for j in range(wc):
            s = np.float32(0.0)
            for b in range(_N_UNSIGNED):
                v = hist[i, j, b] + hist[i, j, b + _N_UNSIGNED]
                s += v * v
            energy[i, j] = s
    norms = np.empty(4, np.float32)
    for i in range(hc):
        for j in range(wc):
            k = 0
            for di in (-1, 1):
                i1 = min(max(i + di, 0), hc - 1)
                for dj in (-1, 1):
                    j1 = min(max(j + dj, 0), wc - 1)
                    e = energy[i, j] + energy[i1, j] + energy[i, j1] + energy[i1, j1]
                    norms[k] = np.float32(1.0) / math.sqrt(e + np.float32(_EPS))
                    k += 1
            tex0 = np.float32(0.0)
            tex1 = np.float32(0.0)
            tex2 = np.float32(0.0)
            tex3 = np.float32(0.0)
            for b in range(_N_SIGNED):
                v = hist[i, j, b]
                a0 = min(v * norms[0], _CLIP)
                a1 = min(v * norms[1], _CLIP)
                a2 = min(v * norms[2], _CLIP)
                a3 = min(v * norms[3], _CLIP)
                out[i, j, b] = np.float32(0.5) * (a0 + a1 + a2 + a3)
                tex0 += a0
                tex1 += a1
                tex2 += a2
                tex3 += a3
            for b in range(_N_UNSIGNED):
                v = hist[i, j, b] + hist[i, j, b + _N_UNSIGNED]
                s = np.float32(0.0)
                for k in range(4):
                    s += min(v * norms[k], _CLIP)
                out[i, j, _N_SIGNED + b] = np.float32(0.5) * s
            t = np.float32(0.2357)
            out[i, j, 27] = t * tex0
            out[i, j, 28] = t * tex1
            out[i, j, 29] = t * tex2
            out[i, j, 30] = t * tex3


@njit(**_NB)
def colour_bins(patch, bits):  # pragma: no cover - compiled
    """Joint colour-histogram bin of every pixel of an HxWx3 uint8 patch, ``bits`` per channel.

    Returns:
        HxW int32 bin indices in [0, 2 ** (3 * bits)).
    """
    h, w, _ = patch.shape
    out = np.empty((h, w), np.int32)
    shift = 8 - bits
    for y in range(h):
        for x in range(w):
            r = np.int32(patch[y, x, 0]) >> shift
            g = np.int32(patch[y, x, 1]) >> shift
            b = np.int32(patch[y, x, 2]) >> shift
            out[y, x] = (((r << bits) | g) << bits) | b
    return out


@njit(**_NB)
def box_histograms(bins, outer, target, inner, nbins):  # pragma: no cover - compiled
    """Normalised colour histograms of an object region and of the background around it.

    Boxes are ``(y0, y1, x0, x1)`` integer pixel ranges (end exclusive) in ``bins``. The object
    histogram counts the pixels of ``inner``; the background histogram counts the pixels of
    ``outer`` that are outside ``target``.

    Args:
        bins: HxW int32 bin indices from :func:`colour_bins`.
        outer, target, inner: the three boxes.
        nbins: histogram length.

    Returns:
        (object, background) float32 histograms, each summing to 1 (all zero when empty).
    """
    h, w = bins.shape
    fg = np.zeros(nbins, np.float32)
    bg = np.zeros(nbins, np.float32)
    nf = 0
    nb = 0
    for y in range(max(outer[0], 0), min(outer[1], h)):
        in_t = target[0] <= y < target[1]
        in_i = inner[0] <= y < inner[1]
        for x in range(max(outer[2], 0), min(outer[3], w)):
            if in_i and inner[2] <= x < inner[3]:
                fg[bins[y, x]] += 1
                nf += 1
            if not (in_t and target[2] <= x < target[3]):
                bg[bins[y, x]] += 1
                nb += 1
    if nf > 0:
        fg /= nf
    if nb > 0:
        bg /= nb
    return fg, bg


@njit(**_NB)
def box_mean_grid(prob, cy0, cx0, step, ny, nx, bh, bw):  # pragma: no cover - compiled
    """Mean of ``prob`` over a ``bh`` x ``bw`` box centred on each point of a circular grid.

    Grid point (i, j) stands for the displacement (di, dj) = (i, j) wrapped into
    [-n/2, n/2), at pixel centre (cy0 + di * step, cx0 + dj * step). Boxes are clipped to the
    map and the mean is taken over the pixels inside.

    Args:
        prob: HxW float32 map.
        cy0, cx0: pixel position of the zero displacement.
        step: grid spacing in pixels.
        ny, nx: grid size.
        bh, bw: box size in pixels.

    Returns:
        (ny, nx) float32 box means, zero displacement at index (0, 0).
    """
    h, w = prob.shape
    integ = np.zeros((h + 1, w + 1), np.float64)
    for y in range(h):
        row = 0.0
        for x in range(w):
            row += prob[y, x]
            integ[y + 1, x + 1] = integ[y, x + 1] + row
    out = np.zeros((ny, nx), np.float32)
    hh = bh / 2.0
    hw = bw / 2.0
    for i in range(ny):
        di = i if i < (ny + 1) // 2 else i - ny
        cy = cy0 + di * step
        ya = min(max(round(cy - hh + 0.5), 0), h)
        yb = min(max(round(cy + hh + 0.5), 0), h)
        for j in range(nx):
            dj = j if j < (nx + 1) // 2 else j - nx
            cx = cx0 + dj * step
            xa = min(max(round(cx - hw + 0.5), 0), w)
            xb = min(max(round(cx + hw + 0.5), 0), w)
            area = (yb - ya) * (xb - xa)
            if area > 0:
                s = integ[yb, xb] - integ[ya, xb] - integ[yb, xa] + integ[ya, xa]
                out[i, j] = s / area
    return out


@njit(**_NB)
def _integral(frame, lik, bits, y0, x0, h, w):  # pragma: no cover - compiled
    """(h+1, w+1, 4) summed-area table of RGB in [0, 1] and of the colour likelihood over the
    frame window whose top-left pixel is (y0, x0); outside pixels repeat the border."""
    fh, fw, _ = frame.shape
    integ = np.zeros((h + 1, w + 1, 4), np.float64)
    shift = 8 - bits
    row = np.zeros(4, np.float64)
    for y in range(h):
        sy = min(max(y0 + y, 0), fh - 1)
        row[:] = 0.0
        for x in range(w):
            sx = min(max(x0 + x, 0), fw - 1)
            r = np.int32(frame[sy, sx, 0])
            g = np.int32(frame[sy, sx, 1])
            b = np.int32(frame[sy, sx, 2])
            row[0] += r
            row[1] += g
            row[2] += b
            row[3] += lik[((((r >> shift) << bits) | (g >> shift)) << bits) | (b >> shift)]
            for c in range(4):
                integ[y + 1, x + 1, c] = integ[y, x + 1, c] + row[c]
    return integ


@njit(**_NB)
def _lerp_table(integ, y, x, c):  # pragma: no cover - compiled
    """The summed-area table at a real position (exact for piecewise-constant pixels)."""
    h = integ.shape[0] - 1
    w = integ.shape[1] - 1
    y = min(max(y, 0.0), h * 1.0)
    x = min(max(x, 0.0), w * 1.0)
    iy = min(int(y), h - 1)
    ix = min(int(x), w - 1)
    fy = y - iy
    fx = x - ix
    a = integ[iy, ix, c] * (1 - fx) + integ[iy, ix + 1, c] * fx
    b = integ[iy + 1, ix, c] * (1 - fx) + integ[iy + 1, ix + 1, c] * fx
    return a * (1 - fy) + b * fy


@njit(**_NB)
def scale_samples(frame, cy, cx, heights, widths, out_h, out_w, cell, lik, bits, lik_cell,
                  lik_weight, hog_weight, window):  # pragma: no cover - compiled
    """Features of the target region resampled at several scales (the scale filter's samples).

    Region ``k`` is ``heights[k]`` x ``widths[k]`` frame pixels centred on pixel position
    ``(cy, cx)``; it is area-averaged (exactly, through a summed-area table) to ``out_h`` x
    ``out_w`` pixels. Its features are HOG (cell ``cell``) times ``hog_weight`` followed by the
    mean colour likelihood of ``lik_cell`` x ``lik_cell`` pixel cells, minus 0.5, times
    ``lik_weight``; row ``k`` is multiplied by ``window[k]``.

    Returns:
        (n_scales, D) float32 features.
    """
    n = heights.shape[0]
    hmax = heights.max()
    wmax = widths.max()
    y0 = math.floor(cy + 0.5 - hmax / 2) - 1
    x0 = math.floor(cx + 0.5 - wmax / 2) - 1
    h = math.ceil(hmax) + 3
    w = math.ceil(wmax) + 3
    integ = _integral(frame, lik, bits, y0, x0, h, w)
    hc = out_h // cell
    wc = out_w // cell
    lh = out_h // lik_cell
    lw = out_w // lik_cell
    n_hog = hc * wc * 31 if hog_weight > 0 else 0
    n_lik = lh * lw if lik_weight > 0 else 0
    feats = np.empty((n, n_hog + n_lik), np.float32)
    patch = np.empty((out_h, out_w, 3), np.float32)
    hog = np.empty((hc, wc, 31), np.float32)
    ey = cy + 0.5 - y0  # centre in the table's edge coordinates
    ex = cx + 0.5 - x0
    corners = np.empty((out_h + 1, out_w + 1, 4), np.float64)
    for k in range(n):
        sy = heights[k] / out_h
        sx = widths[k] / out_w
        top = ey - heights[k] / 2
        left = ex - widths[k] / 2
        for i in range(out_h + 1):
            for j in range(out_w + 1):
                for c in range(4):
                    corners[i, j, c] = _lerp_table(integ, top + i * sy, left + j * sx, c)
        if n_hog > 0:
            norm = 1.0 / (255.0 * sy * sx)
            for i in range(out_h):
                for j in range(out_w):
                    for c in range(3):
                        patch[i, j, c] = (corners[i + 1, j + 1, c] - corners[i, j + 1, c]
                                          - corners[i + 1, j, c] + corners[i, j, c]) * norm
            normalise_histograms(orientation_histograms(patch, cell), hog)
            flat = hog.ravel()
            for d in range(n_hog):
                feats[k, d] = flat[d] * hog_weight * window[k]
        if n_lik > 0:
            norm = lik_weight * window[k] / (lik_cell * lik_cell * sy * sx)
            for i in range(lh):
                i0, i1 = i * lik_cell, (i + 1) * lik_cell
                for j in range(lw):
                    j0, j1 = j * lik_cell, (j + 1) * lik_cell
                    v = (corners[i1, j1, 3] - corners[i0, j1, 3] - corners[i1, j0, 3]
                         + corners[i0, j0, 3])
                    feats[k, n_hog + i * lw + j] = v * norm - 0.5 * lik_weight * window[k]
    return feats
