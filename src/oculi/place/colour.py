"""Colour tools for inserting an image into a scene: CIELAB conversion, CIEDE2000 colour
difference, and colour transfer by Lab statistics (Reinhard et al. 2001) or by histograms.

Lab here is CIELAB under D65 (sRGB's white), ``L`` in [0, 100], ``a`` and ``b`` roughly in
[-128, 127], computed by OpenCV from float sRGB in [0, 1] (scikit-image's ``rgb2lab`` agrees
within 0.3).
"""

from __future__ import annotations

import numpy as np

from oculi.core.checks import check_image
from oculi.core.errors import ShapeError


def rgb_to_lab(image: np.ndarray) -> np.ndarray:
    """CIELAB of an RGB image.

    Args:
        image: ``HxWx3`` (or ``Nx3``) RGB, uint8 or float in [0, 1].

    Returns:
        The same shape, float32 ``(L, a, b)``, ``L`` in [0, 100].
    """
    import cv2

    arr = np.asarray(image)
    flat = arr.ndim == 2
    img = arr[None] if flat else arr
    check_image(img, "image", channels=(3,), dtypes=("uint8", "float32", "float64"))
    f = img.astype(np.float32) / 255 if img.dtype == np.uint8 else img.astype(np.float32)
    lab = cv2.cvtColor(np.ascontiguousarray(f), cv2.COLOR_RGB2Lab)
    return lab[0] if flat else lab


def lab_to_rgb(lab: np.ndarray) -> np.ndarray:
    """sRGB of a CIELAB image: ``HxWx3`` (or ``Nx3``) float32 in [0, 1] (out-of-gamut colours
    clipped)."""
    import cv2

    arr = np.asarray(lab, np.float32)
    flat = arr.ndim == 2
    img = arr[None] if flat else arr
    rgb = np.clip(cv2.cvtColor(np.ascontiguousarray(img), cv2.COLOR_Lab2RGB), 0, 1)
    return rgb[0] if flat else rgb


def delta_e(lab_a: np.ndarray, lab_b: np.ndarray) -> np.ndarray:
    """CIEDE2000 colour difference (Sharma, Wu and Dalal 2005; ``kL = kC = kH = 1``).

    Args:
        lab_a, lab_b: ``(..., 3)`` CIELAB arrays of the same shape.

    Returns:
        ``(...)`` float64 differences; about 1 is a just-noticeable difference.

    Raises:
        ShapeError: different shapes, or a last axis other than 3.

    Example:
        >>> round(float(delta_e(np.array([50.0, 2.6772, -79.7751]),
        ...                      np.array([50.0, 0.0, -82.7485]))), 4)   # Sharma's pair 1
        2.0425
    """
    a = np.asarray(lab_a, np.float64)
    b = np.asarray(lab_b, np.float64)
    if a.shape != b.shape or a.shape[-1:] != (3,):
        raise ShapeError(f"lab_a, lab_b: expected two (..., 3) Lab arrays of one shape, got "
                         f"{a.shape} and {b.shape}")
    L1, a1, b1 = np.moveaxis(a, -1, 0)
    L2, a2, b2 = np.moveaxis(b, -1, 0)
    c_bar7 = ((np.hypot(a1, b1) + np.hypot(a2, b2)) / 2) ** 7
    g = 0.5 * (1 - np.sqrt(c_bar7 / (c_bar7 + 25.0**7)))
    a1p, a2p = (1 + g) * a1, (1 + g) * a2
    c1p, c2p = np.hypot(a1p, b1), np.hypot(a2p, b2)
    h1p = np.degrees(np.arctan2(b1, a1p)) % 360
    h2p = np.degrees(np.arctan2(b2, a2p)) % 360
    chroma0 = (c1p * c2p) == 0
    dh = h2p - h1p
    dh = np.where(dh > 180, dh - 360, np.where(dh < -180, dh + 360, dh))
    dh = np.where(chroma0, 0.0, dh)
    d_l, d_c = L2 - L1, c2p - c1p
    d_h = 2 * np.sqrt(c1p * c2p) * np.sin(np.radians(dh) / 2)
    l_bar, c_bar = (L1 + L2) / 2, (c1p + c2p) / 2
    h_sum = h1p + h2p
    h_bar = np.where(np.abs(h1p - h2p) <= 180, h_sum / 2,
                     np.where(h_sum < 360, (h_sum + 360) / 2, (h_sum - 360) / 2))
    h_bar = np.where(chroma0, h_sum, h_bar)
    t = (1 - 0.17 * np.cos(np.radians(h_bar - 30)) + 0.24 * np.cos(np.radians(2 * h_bar))
         + 0.32 * np.cos(np.radians(3 * h_bar + 6)) - 0.20 * np.cos(np.radians(4 * h_bar - 63)))
    d_theta = 30 * np.exp(-(((h_bar - 275) / 25) ** 2))
    r_c = 2 * np.sqrt(c_bar**7 / (c_bar**7 + 25.0**7))
    s_l = 1 + 0.015 * (l_bar - 50) ** 2 / np.sqrt(20 + (l_bar - 50) ** 2)
    s_c = 1 + 0.045 * c_bar
    s_h = 1 + 0.015 * c_bar * t
    r_t = -np.sin(np.radians(2 * d_theta)) * r_c
    tl, tc, th = d_l / s_l, d_c / s_c, d_h / s_h
    return np.sqrt(np.maximum(tl**2 + tc**2 + th**2 + r_t * tc * th, 0))


def mean_delta_e(img_a: np.ndarray, img_b: np.ndarray, mask: np.ndarray | None = None) -> float:
    """Mean CIEDE2000 difference between two RGB images over ``mask``.

    Args:
        img_a, img_b: ``HxWx3`` RGB of one size, uint8 or float in [0, 1].
        mask: optional ``HxW`` bool, the pixels compared (all when None).

    Returns:
        The mean difference (NaN when the mask is empty).

    Raises:
        ShapeError: images or mask of different sizes.
    """
    from oculi.core.checks import check_same_size

    check_image(img_a, "img_a", channels=(3,))
    check_image(img_b, "img_b", channels=(3,))
    check_same_size(img_a, img_b, ("img_a", "img_b"))
    if mask is None:
        return float(delta_e(rgb_to_lab(img_a), rgb_to_lab(img_b)).mean())
    mask = np.asarray(mask, bool)
    if mask.shape != img_a.shape[:2]:
        raise ShapeError(f"mask: expected shape {img_a.shape[:2]}, got {mask.shape}")
    if not mask.any():
        return float("nan")
    return float(delta_e(rgb_to_lab(img_a[mask]), rgb_to_lab(img_b[mask])).mean())


def lab_statistics(lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel mean and standard deviation of ``(N, 3)`` Lab pixels (std at least 1e-3)."""
    lab = np.asarray(lab, np.float64).reshape(-1, 3)
    return lab.mean(axis=0), np.maximum(lab.std(axis=0), 1e-3)


def reinhard_transfer(lab: np.ndarray, source: tuple[np.ndarray, np.ndarray],
                      target: tuple[np.ndarray, np.ndarray], *, std_floor: float = 0.0
                      ) -> np.ndarray:
    """Reinhard et al.'s colour transfer: per Lab channel, ``(x - mean_s) * k + mean_t`` with
    ``k = sqrt((std_t^2 + f^2) / (std_s^2 + f^2))``, ``f = std_floor``.

    Args:
        lab: ``(..., 3)`` Lab values to map.
        source, target: ``(mean, std)`` pairs from :func:`lab_statistics`.
        std_floor: a prior spread (Lab units) added to both deviations; 0 is Reinhard's
            ratio, a few units keep near-uniform statistics (a plain wall's ``a``, ``b``) from
            giving wild ratios.

    Returns:
        ``(..., 3)`` float32 mapped Lab values.
    """
    (ms, ss), (mt, st) = source, target
    f2 = float(std_floor) ** 2
    k = np.sqrt((np.square(st) + f2) / (np.square(ss) + f2))
    return ((np.asarray(lab, np.float64) - ms) * k + mt).astype(np.float32)


def histogram_lut(source: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Per-channel lookup tables that give ``source``'s values ``target``'s distribution.

    Args:
        source, target: ``(N, 3)`` and ``(M, 3)`` RGB pixels on 0..255 (any numeric dtype).

    Returns:
        ``(256, 3)`` float32 tables on 0..255: ``lut[v, c]`` is the target value at the
        quantile of ``v`` in the source's channel ``c``; beyond the source's range, ``v`` times
        the gain at that end of the range.
    """
    levels = np.arange(256, dtype=np.float64)
    qs = np.linspace(0, 1, 65)
    lut = np.empty((256, 3), np.float32)
    for c in range(3):
        xs = np.quantile(np.asarray(source)[:, c].astype(np.float64), qs)
        ys = np.quantile(np.asarray(target)[:, c].astype(np.float64), qs)
        xs, first = np.unique(xs, return_index=True)
        ys = ys[first]
        if len(xs) < 2:  # a flat source: shift by the median difference
            lut[:, c] = levels + (ys[0] - xs[0])
            continue
        inside = np.interp(levels, xs, ys)
        # beyond the source's range: the end points' gains (through black), so colours the
        # source lacks scale as under a change of exposure
        low = levels * (ys[0] / max(xs[0], 1.0))
        high = levels * (ys[-1] / max(xs[-1], 1.0))
        lut[:, c] = np.where(levels < xs[0], low, np.where(levels > xs[-1], high, inside))
    return lut
