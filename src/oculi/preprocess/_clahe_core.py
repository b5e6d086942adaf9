"""oculi's own CLAHE core for one-channel uint8 / uint16 images, vectorised in numpy.

It reproduces OpenCV's ``cv::CLAHE`` (``modules/imgproc/src/clahe.cpp``) bit for bit:

1. When the size is not a multiple of the tile grid, the image used for the histograms is extended
   at the bottom and right by ``tiles - size % tiles`` pixels (``BORDER_REFLECT_101``); the tile
   size is the extended size divided by the grid.
2. Per tile: a histogram of ``2**bits`` bins; with ``clip_limit > 0`` each bin is clipped at
   ``max(int(clip_limit * tile_area / bins), 1)``, the clipped count is spread evenly
   (``clipped // bins`` to every bin) and the remainder one by one to every
   ``max(bins // remainder, 1)``-th bin from bin 0.
3. The look-up table is ``round(cumsum * float32((bins - 1) / tile_area))`` (round half to even).
4. Every pixel is bilinearly interpolated between the LUTs of the four nearest tile centres with
   float32 weights computed exactly as OpenCV does (``x * float32(1 / tile_w) - 0.5``), in the same
   operation order, and rounded half to even.

All arithmetic that OpenCV does in ``float`` is done here in ``float32`` in the same order, which
is what makes the result identical rather than merely close. The per-pixel interpolation runs in a
numba kernel (compiled once and cached; no fast-math, so no reassociation or FMA contraction);
``backend="numpy"`` selects the vectorised numpy version, kept as the readable reference.
"""

from __future__ import annotations

import numpy as np


def _reflect101_pad(image: np.ndarray, pad_y: int, pad_x: int) -> np.ndarray:
    if pad_y == 0 and pad_x == 0:
        return image
    h, w = image.shape
    if (pad_y and h < 2) or (pad_x and w < 2) or pad_y >= h or pad_x >= w:
        # numpy's "reflect" needs pad < size; OpenCV repeats reflection for tiny images
        ys = _reflect101_index(np.arange(h + pad_y), h)
        xs = _reflect101_index(np.arange(w + pad_x), w)
        return image[np.ix_(ys, xs)]
    return np.pad(image, ((0, pad_y), (0, pad_x)), mode="reflect")


def _reflect101_index(idx: np.ndarray, n: int) -> np.ndarray:
    if n == 1:
        return np.zeros_like(idx)
    period = 2 * (n - 1)
    m = np.mod(idx, period)
    return np.where(m < n, m, period - m)


def clahe_luts(
    image: np.ndarray, clip_limit: float, tiles: tuple[int, int], *, backend: str = "numba"
) -> tuple[np.ndarray, tuple[int, int]]:
    """Per-tile look-up tables.

    Args:
        image: HxW uint8 or uint16.
        clip_limit: OpenCV's clip limit (relative to a uniform histogram); <= 0 disables clipping.
        tiles: ``(tiles_y, tiles_x)``.
        backend: ``"numba"`` (compiled histogram loop) or ``"numpy"`` (one ``bincount``).

    Returns:
        ``(luts, tile_size)``: ``luts`` of shape ``(tiles_y, tiles_x, bins)`` and the image dtype,
        and ``(tile_h, tile_w)``.
    """
    ty, tx = tiles
    h, w = image.shape
    bins = 256 if image.dtype == np.uint8 else 65536
    ext = image if h % ty == 0 and w % tx == 0 else _reflect101_pad(image, ty - h % ty, tx - w % tx)
    th, tw = ext.shape[0] // ty, ext.shape[1] // tx
    area = th * tw
    ext = ext[: ty * th, : tx * tw]
    limit = max(int(clip_limit * area / bins), 1) if clip_limit > 0 else 0
    lut_scale = np.float32(bins - 1) / np.float32(area)
    if backend == "numba":
        hist_k, lut_k, _ = _kernels()
        hist = np.zeros((ty * tx, bins), np.int32)
        col_tile = np.arange(tx * tw, dtype=np.int64) // tw
        hist_k(np.ascontiguousarray(ext), th, col_tile, tx, hist)
        lut = np.empty((ty * tx, bins), image.dtype)
        lut_k(hist, limit, lut_scale, lut)
        return lut.reshape(ty, tx, bins), (th, tw)
    # numpy reference: tile index of every pixel, combined with its value into one bincount
    blocks = ext.reshape(ty, th, tx, tw).transpose(0, 2, 1, 3).reshape(ty * tx, area)
    offsets = (np.arange(ty * tx, dtype=np.int64) * bins)[:, None]
    hist = np.bincount((blocks.astype(np.int64) + offsets).ravel(), minlength=ty * tx * bins)
    hist = hist.reshape(ty * tx, bins)
    if limit > 0:
        clipped = np.maximum(hist - limit, 0).sum(axis=1)
        hist = np.minimum(hist, limit)
        batch = clipped // bins
        residual = clipped - batch * bins
        hist += batch[:, None]
        step = np.maximum(bins // np.maximum(residual, 1), 1)
        pos = np.arange(bins)[None, :]
        extra = (pos % step[:, None] == 0) & (pos // step[:, None] < residual[:, None])
        hist += extra
    cdf = np.cumsum(hist, axis=1).astype(np.float32)
    lut = np.rint(cdf * lut_scale)
    lut = np.clip(lut, 0, bins - 1).astype(image.dtype)
    return lut.reshape(ty, tx, bins), (th, tw)


def _axis_weights(n: int, tile: int, count: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    inv = np.float32(1.0) / np.float32(tile)
    f = np.arange(n, dtype=np.float32) * inv - np.float32(0.5)
    i1 = np.floor(f).astype(np.int64)
    a = f - i1.astype(np.float32)
    i2 = np.minimum(i1 + 1, count - 1)
    i1 = np.maximum(i1, 0)
    return i1, i2, a


_KERNELS: tuple | None = None


def _kernels() -> tuple:
    """``(histograms, luts, interpolate)``, compiled on first use (and cached on disk by numba)."""
    global _KERNELS
    if _KERNELS is None:
        import numba

        _KERNELS = (_histograms_kernel(numba), _luts_kernel(numba), _interpolate_kernel(numba))
    return _KERNELS


def _histograms_kernel(numba):
    """The tile-histogram kernel ``histograms(ext, th, col_tile, tx, hist)``."""

    @numba.njit(cache=True, nogil=True)
    def histograms(ext, th, col_tile, tx, hist):  # tile histograms of the extended image
        rows = hist.shape[0] // tx * th
        cols = col_tile.shape[0]
        for y in range(rows):
            base = (y // th) * tx
            for x in range(cols):
                hist[base + col_tile[x], ext[y, x]] += 1

    return histograms


def _luts_kernel(numba):
    """The look-up-table kernel ``luts(hist, limit, lut_scale, out)``."""

    @numba.njit(cache=True, nogil=True)
    def luts(hist, limit, lut_scale, out):  # clip, redistribute, cumulate, scale, round
        tiles, bins = hist.shape
        top = np.float32(bins - 1)
        for t in range(tiles):
            h = hist[t]
            if limit > 0:
                clipped = 0
                for i in range(bins):
                    if h[i] > limit:
                        clipped += h[i] - limit
                        h[i] = limit
                batch = clipped // bins
                residual = clipped - batch * bins
                for i in range(bins):
                    h[i] += batch
                if residual != 0:
                    step = max(bins // residual, 1)
                    i = 0
                    while i < bins and residual > 0:
                        h[i] += 1
                        i += step
                        residual -= 1
            total = 0
            for i in range(bins):
                total += h[i]
                v = np.rint(np.float32(total) * lut_scale)
                if v > top:
                    v = top
                out[t, i] = v

    return luts


def _interpolate_kernel(numba):
    """The bilinear interpolation kernel
    ``interpolate(image, flat, y1, y2, ya, x1, x2, xa, tx, bins, top, out)``."""

    @numba.njit(cache=True, nogil=True)
    def interpolate(image, flat, y1, y2, ya, x1, x2, xa, tx, bins, top, out):
        h, w = image.shape
        one = np.float32(1.0)
        for y in range(h):
            b1 = y1[y] * tx * bins
            b2 = y2[y] * tx * bins
            wy = ya[y]
            wy1 = one - wy
            for x in range(w):
                v = np.int64(image[y, x])
                c1 = x1[x] * bins + v
                c2 = x2[x] * bins + v
                wx = xa[x]
                wx1 = one - wx
                r = (np.float32(flat[b1 + c1]) * wx1 + np.float32(flat[b1 + c2]) * wx) * wy1 + (
                    np.float32(flat[b2 + c1]) * wx1 + np.float32(flat[b2 + c2]) * wx
                ) * wy
                r = np.rint(r)
                if r < 0:
                    r = np.float32(0.0)
                elif r > top:
                    r = top
                out[y, x] = r

    return interpolate


def clahe_gray(
    image: np.ndarray, clip_limit: float, tiles: tuple[int, int], *, backend: str = "numba"
) -> np.ndarray:
    """CLAHE of one HxW uint8/uint16 channel, identical to ``cv2.createCLAHE(...).apply``."""
    ty, tx = tiles
    luts, (th, tw) = clahe_luts(image, clip_limit, tiles, backend=backend)
    h, w = image.shape
    y1, y2, ya = _axis_weights(h, th, ty)
    x1, x2, xa = _axis_weights(w, tw, tx)
    if backend == "numba":
        out = np.empty((h, w), image.dtype)
        _kernels()[2](
            np.ascontiguousarray(image), luts.reshape(-1), y1, y2, ya, x1, x2, xa,
            tx, luts.shape[2], np.float32(luts.shape[2] - 1), out,
        )
        return out
    ya1 = np.float32(1.0) - ya
    xa1 = np.float32(1.0) - xa
    bins = luts.shape[2]
    flat = luts.reshape(-1)
    v = image.astype(np.int64)
    out = np.empty((h, w), image.dtype)
    top = float(bins - 1)
    # row blocks keep the float32 temporaries small
    step = max(1, (1 << 21) // max(w, 1))
    xa_r, xa1_r = xa[None, :], xa1[None, :]
    for r0 in range(0, h, step):
        r1 = min(h, r0 + step)
        vb = v[r0:r1]
        base1 = (y1[r0:r1, None] * tx) * bins
        base2 = (y2[r0:r1, None] * tx) * bins
        c1 = (x1 * bins)[None, :] + vb
        c2 = (x2 * bins)[None, :] + vb
        l11 = flat[base1 + c1].astype(np.float32)
        l12 = flat[base1 + c2].astype(np.float32)
        l21 = flat[base2 + c1].astype(np.float32)
        l22 = flat[base2 + c2].astype(np.float32)
        res = (l11 * xa1_r + l12 * xa_r) * ya1[r0:r1, None] + (l21 * xa1_r + l22 * xa_r) * ya[
            r0:r1, None
        ]
        out[r0:r1] = np.clip(np.rint(res), 0, top)
    return out
