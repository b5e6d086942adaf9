"""Rate-distortion tools: the Bjøntegaard delta rate (BD-rate) between two RD curves and the
multi-scale SSIM (Wang et al. 2003) used to draw them.

BD-rate (Bjøntegaard, VCEG-M33, with the piecewise cubic interpolation of the later
recommendation): log-rate is interpolated as a monotone piecewise cubic (PCHIP) function of
quality for each codec; the mean difference of the two log-rates over the overlapping quality
interval, exponentiated, is the average bit-rate change at equal quality (negative: the test
codec needs fewer bits).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from oculi.core.errors import DataError


def _curve(rate: Sequence[float], quality: Sequence[float], name: str
           ) -> tuple[np.ndarray, np.ndarray]:
    r = np.asarray(rate, np.float64)
    q = np.asarray(quality, np.float64)
    if r.shape != q.shape or r.ndim != 1 or len(r) < 2:
        raise DataError(f"{name}: expected at least two (rate, quality) points of equal count, "
                        f"got {r.shape} rates and {q.shape} qualities")
    if not (np.all(np.isfinite(r)) and np.all(np.isfinite(q)) and np.all(r > 0)):
        raise DataError(f"{name}: rates must be positive and finite, qualities finite")
    order = np.argsort(q)
    q, lr = q[order], np.log(r[order])
    if np.any(np.diff(q) <= 0):
        raise DataError(f"{name}: two points have the same quality — BD-rate needs a curve "
                        "that rises with the rate")
    return q, lr


def bd_rate(rate_ref: Sequence[float], quality_ref: Sequence[float],
            rate_test: Sequence[float], quality_test: Sequence[float]) -> float:
    """The Bjøntegaard delta rate of the test codec against the reference, in percent.

    Args:
        rate_ref, quality_ref: the reference curve's points (bits per pixel, any rate unit;
            PSNR dB or another quality that grows with the rate).
        rate_test, quality_test: the test curve's points (same units).

    Returns:
        The mean rate change at equal quality over the qualities both curves cover
        (e.g. -20.0: 20 % fewer bits).

    Raises:
        DataError: fewer than two points, non-positive rates, or curves whose qualities do not
            overlap.

    >>> round(bd_rate([1, 2, 4], [30, 33, 36], [0.5, 1, 2], [30, 33, 36]), 6)
    -50.0
    """
    from scipy.interpolate import PchipInterpolator

    q1, r1 = _curve(rate_ref, quality_ref, "reference curve")
    q2, r2 = _curve(rate_test, quality_test, "test curve")
    lo, hi = max(q1[0], q2[0]), min(q1[-1], q2[-1])
    if lo >= hi:
        raise DataError(f"BD-rate: the curves' qualities do not overlap ({q1[0]:.3g}-"
                        f"{q1[-1]:.3g} and {q2[0]:.3g}-{q2[-1]:.3g})")
    f1, f2 = PchipInterpolator(q1, r1), PchipInterpolator(q2, r2)
    mean_diff = (f2.integrate(lo, hi) - f1.integrate(lo, hi)) / (hi - lo)
    return float((np.exp(mean_diff) - 1.0) * 100.0)


_MS_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
#: the smallest image side MS-SSIM takes (five scales of an 11-pixel window: 11·2⁴)
MS_SSIM_MIN_SIDE = 176


def _gaussian_window(size: int = 11, sigma: float = 1.5) -> np.ndarray:
    x = np.arange(size, dtype=np.float64) - (size - 1) / 2
    g = np.exp(-(x ** 2) / (2 * sigma ** 2))
    return (g / g.sum()).astype(np.float32)


def _filter(x: np.ndarray, g: np.ndarray) -> np.ndarray:
    """'valid' separable filtering of an HxW float32 plane (the window is symmetric)."""
    import cv2

    r = len(g) // 2
    out = cv2.sepFilter2D(x, cv2.CV_32F, g, g, borderType=cv2.BORDER_CONSTANT)
    return out[r:-r, r:-r]


def _ssim_terms(a: np.ndarray, b: np.ndarray, g: np.ndarray) -> tuple[float, float]:
    """Mean SSIM and mean contrast-structure term of two float32 planes with peak 1 (the
    local statistics in float32, the means in float64)."""
    c1, c2 = 0.01 ** 2, 0.03 ** 2
    mu_a, mu_b = _filter(a, g), _filter(b, g)
    saa = _filter(a * a, g) - mu_a ** 2
    sbb = _filter(b * b, g) - mu_b ** 2
    sab = _filter(a * b, g) - mu_a * mu_b
    cs = (2 * sab + c2) / (saa + sbb + c2)
    lum = (2 * mu_a * mu_b + c1) / (mu_a ** 2 + mu_b ** 2 + c1)
    return float((lum * cs).mean(dtype=np.float64)), float(cs.mean(dtype=np.float64))


def ms_ssim(reference: np.ndarray, image: np.ndarray) -> float:
    """Multi-scale SSIM of two images (HxW or HxWx3, uint8 or float in [0, 1]; the mean over
    the channels): five scales, an 11-tap Gaussian window of sigma 1.5, 2x2 average pooling,
    the weights of Wang et al. 2003; a negative contrast-structure term is clipped at 0 (as
    torchmetrics' ``normalize=None`` does not: identical for any image pair of real codecs).

    Raises:
        ShapeError: different shapes, or an image smaller than 176 pixels on a side (five
            scales of an 11-pixel window).
    """
    from oculi.core.checks import check_same_size
    from oculi.core.convert import ensure_float01
    from oculi.core.errors import ShapeError

    check_same_size(reference, image, ("reference", "image"))
    a = ensure_float01(reference).astype(np.float32)
    b = ensure_float01(image).astype(np.float32)
    if min(a.shape[:2]) < MS_SSIM_MIN_SIDE:
        raise ShapeError(f"image: {a.shape[1]}x{a.shape[0]} pixels; MS-SSIM needs at least "
                         f"{MS_SSIM_MIN_SIDE} on each side")
    if a.ndim == 2:
        a, b = a[..., None], b[..., None]
    g = _gaussian_window()
    scores = []
    for c in range(a.shape[2]):
        x, y = a[..., c], b[..., c]
        value = 1.0
        for level, w in enumerate(_MS_WEIGHTS):
            ssim, cs = _ssim_terms(x, y, g)
            last = level == len(_MS_WEIGHTS) - 1
            value *= max(ssim if last else cs, 0.0) ** w
            if not last:
                h, wd = x.shape[0] // 2 * 2, x.shape[1] // 2 * 2
                x = x[:h, :wd].reshape(h // 2, 2, wd // 2, 2).mean((1, 3))
                y = y[:h, :wd].reshape(h // 2, 2, wd // 2, 2).mean((1, 3))
        scores.append(value)
    return float(np.mean(scores))
