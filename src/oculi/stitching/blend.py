"""Compositing warped images: exposure (gain) compensation, seams, feather and multi-band blending.

Every image arrives as a :class:`Warped` tile: its pixels resampled over an integer box of the
panorama and a mask of valid pixels.

* gains (Brown & Lowe 2007, per colour channel): minimise ``sum_ij N_ij ((g_i I_ij - g_j I_ji)^2
  / sigma_N^2 + (1 - g_i)^2 / sigma_g^2)`` where ``I_ij`` is the mean of image i over its overlap
  with image j and ``N_ij`` the overlap area; a small linear system;
* seams: each panorama pixel goes to the image in which it lies deepest (largest distance to that
  image's border, a distance-transform / Voronoi seam), which puts seams midway in overlaps and
  keeps every pixel from one image, hence no ghosting away from the seam;
* feather: seam masks blurred over a band and normalised;
* multi-band (Burt & Adelson 1983): Laplacian pyramids of the images, blended per level with
  Gaussian pyramids of the seam masks, then collapsed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from oculi.core.checks import check_choice

BLENDS = ("multiband", "feather", "none")


@dataclass
class Warped:
    """One image on the panorama: ``image`` over box ``(x0, y0, x1, y1)``, ``mask`` uint8 0/255."""

    image: np.ndarray
    mask: np.ndarray
    roi: tuple[int, int, int, int]


def _intersect(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[2], b[2]), min(a[3], b[3])
    return (x0, y0, x1, y1) if x1 > x0 and y1 > y0 else None


def _crop(t: Warped, box):
    x0, y0, x1, y1 = box
    ox, oy = t.roi[0], t.roi[1]
    return (t.image[y0 - oy:y1 - oy, x0 - ox:x1 - ox],
            t.mask[y0 - oy:y1 - oy, x0 - ox:x1 - ox])


def _shrink(t: Warped, step: int) -> Warped:
    """Every ``step``-th pixel of a tile on the canvas grid (for statistics only)."""
    ox = (-t.roi[0]) % step
    oy = (-t.roi[1]) % step
    img, m = t.image[oy::step, ox::step], t.mask[oy::step, ox::step]
    x0, y0 = (t.roi[0] + ox) // step, (t.roi[1] + oy) // step
    return Warped(img, m, (x0, y0, x0 + m.shape[1], y0 + m.shape[0]))


def compensate_gains(tiles: list[Warped], sigma_n: float = 10.0, sigma_g: float = 0.1,
                     step: int = 4) -> np.ndarray:
    """Per-image, per-channel gains ``(N, C)`` that equalise the overlaps (8-bit intensity units).

    The overlap means are taken on every ``step``-th pixel of the canvas grid. Returns ones for an
    image without overlaps.
    """
    if step > 1:
        tiles = [_shrink(t, step) for t in tiles]
    n = len(tiles)
    ch = 1 if tiles[0].image.ndim == 2 else tiles[0].image.shape[2]
    count = np.zeros((n, n))
    means = np.zeros((n, n, ch))
    for i in range(n):
        for j in range(i + 1, n):
            box = _intersect(tiles[i].roi, tiles[j].roi)
            if box is None:
                continue
            im_i, m_i = _crop(tiles[i], box)
            im_j, m_j = _crop(tiles[j], box)
            both = (m_i > 0) & (m_j > 0)
            k = int(both.sum())
            if k == 0:
                continue
            count[i, j] = count[j, i] = k
            scale = 255.0 if im_i.dtype != np.uint8 else 1.0
            means[i, j] = im_i[both].reshape(k, ch).astype(np.float64).mean(0) * scale
            means[j, i] = im_j[both].reshape(k, ch).astype(np.float64).mean(0) * scale
    gains = np.ones((n, ch))
    for c in range(ch):
        a = np.zeros((n, n))
        b = np.zeros(n)
        for i in range(n):
            for j in range(n):
                if i == j or count[i, j] == 0:
                    continue
                nij, iij, iji = count[i, j], means[i, j, c], means[j, i, c]
                a[i, i] += nij * (iij * iij / sigma_n**2 + 1 / sigma_g**2)
                a[i, j] -= nij * iij * iji / sigma_n**2
                b[i] += nij / sigma_g**2
        for i in range(n):
            if a[i, i] == 0:
                a[i, i], b[i] = 1.0, 1.0
        gains[:, c] = np.linalg.solve(a, b)
    return gains


def canvas_box(tiles: list[Warped]) -> tuple[int, int, int, int]:
    """The union of the tiles' boxes."""
    return (min(t.roi[0] for t in tiles), min(t.roi[1] for t in tiles),
            max(t.roi[2] for t in tiles), max(t.roi[3] for t in tiles))


#: seams are placed on a copy of the masks reduced to about this many pixels (OpenCV's seam
#: scale is 0.1 MP): the Voronoi-like boundary needs no finer grid
SEAM_MEGAPIX = 0.1


def distance_seams(tiles: list[Warped], megapix: float | None = SEAM_MEGAPIX) -> list[np.ndarray]:
    """Seam masks (uint8 0/255, one per tile, over its box): each pixel goes to the tile in
    which it is farthest from the tile's border (ties: the earlier tile).

    With ``megapix`` the distances are computed on masks reduced to about that many canvas
    pixels and the labels enlarged back (nearest); a pixel whose enlarged label names a tile
    not valid there goes to the first tile valid there. ``None``: full resolution.
    """
    import cv2

    x0, y0, x1, y1 = canvas_box(tiles)
    cw, chh = x1 - x0, y1 - y0
    f = 1.0 if megapix is None else min(1.0, math.sqrt(megapix * 1e6 / max(1, cw * chh)))
    sw, sh = max(1, round(cw * f)), max(1, round(chh * f))
    fx, fy = sw / cw, sh / chh
    best = np.full((sh, sw), -1.0, np.float32)
    label = np.full((sh, sw), -1, np.int32)
    for k, t in enumerate(tiles):
        if f < 1.0:
            # the tile's mask on the small grid: a small pixel counts when mostly valid
            a0, b0 = int(np.floor((t.roi[0] - x0) * fx)), int(np.floor((t.roi[1] - y0) * fy))
            a1 = min(sw, int(np.ceil((t.roi[2] - x0) * fx)))
            b1 = min(sh, int(np.ceil((t.roi[3] - y0) * fy)))
            m = np.zeros((chh, cw), np.uint8)  # the tile's mask placed on the canvas
            m[t.roi[1] - y0:t.roi[3] - y0, t.roi[0] - x0:t.roi[2] - x0] = t.mask
            small = cv2.resize(m, (sw, sh), interpolation=cv2.INTER_AREA)[b0:b1, a0:a1]
            small = np.where(small > 127, 255, 0).astype(np.uint8)
            sl = np.s_[b0:b1, a0:a1]
        else:
            small = t.mask
            sl = np.s_[t.roi[1] - y0:t.roi[3] - y0, t.roi[0] - x0:t.roi[2] - x0]
        pad = cv2.copyMakeBorder(small, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
        dt = cv2.distanceTransform(pad, cv2.DIST_L2, 3)[1:-1, 1:-1]
        dt[small == 0] = -1.0
        upd = dt > best[sl]
        best[sl][upd] = dt[upd]
        label[sl][upd] = k
    if f < 1.0:
        label = cv2.resize(label.astype(np.float32), (cw, chh),
                           interpolation=cv2.INTER_NEAREST).astype(np.int32)
    owned = np.zeros((chh, cw), bool)
    out = []
    for k, t in enumerate(tiles):
        sl = np.s_[t.roi[1] - y0:t.roi[3] - y0, t.roi[0] - x0:t.roi[2] - x0]
        s_k = (label[sl] == k) & (t.mask > 0)
        owned[sl] |= s_k
        out.append(s_k)
    if f < 1.0:  # valid pixels that no label claims (the small grid's edges) go to a valid tile
        for k, t in enumerate(tiles):
            sl = np.s_[t.roi[1] - y0:t.roi[3] - y0, t.roi[0] - x0:t.roi[2] - x0]
            extra = (t.mask > 0) & ~owned[sl]
            if extra.any():
                out[k] |= extra
                owned[sl] |= extra
    return [s_k.astype(np.uint8) * 255 for s_k in out]


def seam_difference(tiles: list[Warped], seams: list[np.ndarray],
                    gains: np.ndarray | None = None) -> float:
    """Mean absolute colour difference (8-bit units, averaged over channels) of the two images
    that meet at each seam pixel, after gain compensation: how well the images agree where the
    panorama switches from one to the other (registration and exposure together). NaN when
    there is no seam."""
    x0, y0, x1, y1 = canvas_box(tiles)
    label = np.full((y1 - y0, x1 - x0), -1, np.int32)
    for k, (t, s) in enumerate(zip(tiles, seams, strict=True)):
        sl = np.s_[t.roi[1] - y0:t.roi[3] - y0, t.roi[0] - x0:t.roi[2] - x0]
        label[sl][s > 0] = k
    diffs = []
    for dy, dx in ((0, 1), (1, 0)):
        a = label[: label.shape[0] - dy, : label.shape[1] - dx]
        b = label[dy:, dx:]
        ys, xs = np.nonzero((a >= 0) & (b >= 0) & (a != b))
        for y, x in zip(ys.tolist(), xs.tolist(), strict=True):
            i, j = int(a[y, x]), int(b[y + dy, x + dx])
            vals = []
            for k in (i, j):
                t = tiles[k]
                py, px = y + y0 - t.roi[1], x + x0 - t.roi[0]
                if not (0 <= py < t.mask.shape[0] and 0 <= px < t.mask.shape[1]) or \
                        t.mask[py, px] == 0:
                    break
                v = t.image[py, px].astype(np.float64)
                if t.image.dtype != np.uint8:
                    v = v * 255.0
                vals.append(v * (gains[k] if gains is not None else 1.0))
            if len(vals) == 2:
                diffs.append(float(np.abs(vals[0] - vals[1]).mean()))
    return float(np.mean(diffs)) if diffs else float("nan")


def _to_float(image: np.ndarray, gain: np.ndarray | None) -> np.ndarray:
    import cv2

    scale = np.ones(1 if image.ndim == 2 else image.shape[2], np.float64)
    if image.dtype == np.uint8:
        scale /= 255.0
    if gain is not None:
        scale = scale * np.asarray(gain, np.float64)
    # one pass: uint8/float -> float32 with a per-channel scale (OpenCV, multi-threaded)
    return cv2.multiply(image, tuple(float(v) for v in scale) + (0.0,) * (4 - len(scale)),
                        dtype=cv2.CV_32F)


def blend(tiles: list[Warped], seams: list[np.ndarray], method: str = "multiband", *,
          gains: np.ndarray | None = None, bands: int | None = None,
          feather_width: float | None = None) -> tuple[np.ndarray, np.ndarray, tuple]:
    """Blend the tiles over their union.

    Args:
        tiles: warped images (uint8 or float in [0, 1]) with masks and boxes.
        seams: a seam mask per tile (uint8, over the tile's box).
        method: ``"multiband"``, ``"feather"`` or ``"none"`` (hard seams).
        gains: optional ``(N, C)`` gains applied first.
        bands: pyramid levels for multi-band (default from the panorama size, as 5% of its
            geometric-mean side).
        feather_width: width of the feather band in pixels (default 2% of that side).

    Returns:
        ``(panorama float32 HxWxC in [0, 1], mask uint8, box)``.
    """
    check_choice(method, BLENDS, "blend")
    box = canvas_box(tiles)
    w, h = box[2] - box[0], box[3] - box[1]
    side = math.sqrt(w * h)
    if method == "multiband":
        nb = bands if bands is not None else max(1, math.ceil(math.log2(max(side * 0.05, 2))) - 1)
        return _multiband(tiles, seams, box, int(nb), gains)
    return _feather(tiles, seams, box, method, feather_width or max(1.0, 0.02 * side), gains)


def _union_mask(tiles, box) -> np.ndarray:
    m = np.zeros((box[3] - box[1], box[2] - box[0]), np.uint8)
    for t in tiles:
        sl = np.s_[t.roi[1] - box[1]:t.roi[3] - box[1], t.roi[0] - box[0]:t.roi[2] - box[0]]
        np.maximum(m[sl], t.mask, out=m[sl])
    return m


def _feather(tiles, seams, box, method, width, gains):
    import cv2

    ch = 1 if tiles[0].image.ndim == 2 else tiles[0].image.shape[2]
    h, w = box[3] - box[1], box[2] - box[0]
    acc = np.zeros((h, w, ch), np.float32)
    wsum = np.zeros((h, w), np.float32)
    for k, (t, s) in enumerate(zip(tiles, seams, strict=True)):
        wt = s.astype(np.float32) * np.float32(1 / 255)
        if method == "feather":
            k_size = int(2 * round(width) + 1)
            wt = cv2.GaussianBlur(wt, (k_size, k_size), width / 2.5) * (t.mask > 0)
        img = _to_float(t.image, None if gains is None else gains[k])
        img = img.reshape(img.shape[0], img.shape[1], ch)
        sl = np.s_[t.roi[1] - box[1]:t.roi[3] - box[1], t.roi[0] - box[0]:t.roi[2] - box[0]]
        acc[sl] += img * wt[..., None]
        wsum[sl] += wt
    out = acc / np.maximum(wsum, 1e-6)[..., None]
    mask = _union_mask(tiles, box)
    out[mask == 0] = 0
    return np.clip(out[..., 0] if ch == 1 else out, 0, 1), mask, box


def _into(dst: np.ndarray, result: np.ndarray) -> np.ndarray:
    """``dst`` holding ``result`` of an OpenCV call given ``dst=dst`` (OpenCV writes in place
    into a strided view; copied here should it ever have allocated instead)."""
    if not np.shares_memory(result, dst):
        dst[...] = result.reshape(dst.shape)
    return dst


def _multiband(tiles, seams, box, levels, gains):
    import cv2

    ch = 1 if tiles[0].image.ndim == 2 else tiles[0].image.shape[2]
    step = 2**levels
    bx0, by0 = box[0], box[1]
    gw = -(-(box[2] - bx0) // step) * step
    gh = -(-(box[3] - by0) // step) * step
    bands = [np.zeros((gh >> lv, gw >> lv, ch), np.float32) for lv in range(levels + 1)]
    wsums = [np.zeros((gh >> lv, gw >> lv), np.float32) for lv in range(levels + 1)]
    for k, (t, s) in enumerate(zip(tiles, seams, strict=True)):
        # tile box grown to multiples of 2^levels on the canvas grid, with a margin
        tx0 = ((t.roi[0] - bx0) // step) * step
        ty0 = ((t.roi[1] - by0) // step) * step
        tx1 = min(gw, -(-(t.roi[2] - bx0) // step) * step)
        ty1 = min(gh, -(-(t.roi[3] - by0) // step) * step)
        left, top = t.roi[0] - bx0 - tx0, t.roi[1] - by0 - ty0
        right, bottom = tx1 - (t.roi[2] - bx0), ty1 - (t.roi[3] - by0)
        # padded before the conversion to float: the copies move a quarter of the bytes
        img = cv2.copyMakeBorder(t.image, top, bottom, left, right, cv2.BORDER_REFLECT)
        img = _to_float(img, None if gains is None else gains[k])
        img = img.reshape(img.shape[0], img.shape[1], ch)
        seam = cv2.copyMakeBorder(s, top, bottom, left, right, cv2.BORDER_CONSTANT, value=0)
        hard = seam > 0  # level 0: the hard seam mask
        wt = np.multiply(seam, np.float32(1 / 255), dtype=np.float32)
        # where a level's filters reach outside the tile's valid pixels its band is polluted by
        # the padding: such pixels keep only a token weight, so a tile that is valid there wins
        valid = cv2.copyMakeBorder((t.mask > 0).view(np.uint8), top, bottom, left, right,
                                   cv2.BORDER_CONSTANT, value=0).astype(np.float32)
        # the array's own edges count as invalid where another tile may continue the canvas
        if tx0 > 0:
            valid[:, 0] = 0
        if ty0 > 0:
            valid[0, :] = 0
        if tx1 < gw and t.roi[2] < box[2]:
            valid[:, -1] = 0
        if ty1 < gh and t.roi[3] < box[3]:
            valid[-1, :] = 0
        g = img
        for lv in range(levels + 1):
            y0, x0 = ty0 >> lv, tx0 >> lv
            hh, ww = g.shape[:2]
            if lv < levels:
                down = cv2.pyrDown(g)
                down = down.reshape(down.shape[0], down.shape[1], ch)
                up = cv2.pyrUp(down, dstsize=(ww, hh)).reshape(hh, ww, ch)
            dst = bands[lv][y0:y0 + hh, x0:x0 + ww]
            if lv == 0:
                # full-resolution weights are the hard seam masks: the band is written where
                # the tile owns the pixel, no products
                owned = hard.view(np.uint8)
                if lv < levels:
                    _into(dst, cv2.subtract(g, up, dst=dst, mask=owned))
                else:
                    _into(dst, cv2.copyTo(g, owned, dst))
                wsums[0][y0:y0 + hh, x0:x0 + ww] += wt
            else:
                lap = cv2.subtract(g, up).reshape(hh, ww, ch) if lv < levels else g
                w_eff = wt * (np.float32(1e-3) + (valid > 0.999))
                np.multiply(lap, w_eff[..., None], out=lap)
                _into(dst, cv2.add(dst, lap, dst=dst))
                wsums[lv][y0:y0 + hh, x0:x0 + ww] += w_eff
            if lv < levels:
                g = down
                wt = cv2.pyrDown(wt)
                valid = cv2.erode(cv2.pyrDown(valid), np.ones((7, 7), np.uint8))
    out = None
    for lv in range(levels, -1, -1):
        if lv == 0:
            b = bands[0]  # one tile per pixel (seam masks), already normalised
        else:
            b = bands[lv]
            b /= np.maximum(wsums[lv], 1e-5)[..., None]
        if out is None:
            out = b
        else:
            hh, ww = b.shape[:2]
            out = _into(b, cv2.add(b, cv2.pyrUp(out, dstsize=(ww, hh)).reshape(hh, ww, ch),
                                   dst=b))
    out = out[: box[3] - by0, : box[2] - bx0]
    mask = _union_mask(tiles, box)
    np.clip(out, 0, 1, out=out)
    out[mask == 0] = 0
    return (out[..., 0] if ch == 1 else out), mask, box
