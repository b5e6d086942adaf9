"""Rate-distortion tools: the Bjøntegaard delta rate (BD-rate) between two RD curves, and the
multi-scale SSIM (Wang et al. 2003) used to draw them on numpy images.

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


def ms_ssim(reference: np.ndarray, image: np.ndarray) -> float:
    """Multi-scale SSIM of two images (HxW or HxWx3, uint8 or float in [0, 1]):
    :func:`oculi.train.metrics.image.ms_ssim` (five scales, an 11-tap Gaussian window of
    sigma 1.5, 2x2 average pooling, the weights of Wang et al. 2003, negative
    contrast-structure terms clipped at 0) on the images as one-image batches.

    Raises:
        ShapeError: different shapes, or an image smaller than
            :data:`~oculi.train.metrics.image.MS_SSIM_MIN_SIDE` (176) pixels on a side.
    """
    from oculi.core.checks import check_same_size
    from oculi.core.convert import to_tensor_batch
    from oculi.train.metrics.image import ms_ssim as batch_ms_ssim

    check_same_size(reference, image, ("reference", "image"))
    return float(batch_ms_ssim(to_tensor_batch(image), to_tensor_batch(reference))[0])
