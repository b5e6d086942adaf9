"""Colourisation metrics on numpy images.

- :func:`colourfulness`: Hasler & Süsstrunk 2003 (eq. 3 of "Measuring colourfulness in natural
  images"): with ``rg = R − G`` and ``yb = (R + G)/2 − B`` over the 8-bit RGB pixels,
  ``M = √(σ_rg² + σ_yb²) + 0.3·√(μ_rg² + μ_yb²)`` (0 for a grey image; ~33 "fairly colourful",
  ~59 "highly colourful").
- :func:`ab_auc`: Zhang et al. 2016 (§3.1, "AuC"): the fraction of pixels whose predicted ab lies
  within Euclidean distance t of the truth, for t = 0, 1, ..., 150, its area normalised to
  [0, 1] (the mean over the thresholds): 1 for a perfect prediction.
"""

from __future__ import annotations

import numpy as np

from oculi.core.checks import check_image
from oculi.core.convert import ensure_uint8, to_rgb
from oculi.core.errors import ShapeError

#: the thresholds of the ab error curve (ab units)
AUC_THRESHOLDS = np.arange(0.0, 151.0, 1.0)


def colourfulness(image: np.ndarray) -> float:
    """Hasler & Süsstrunk colourfulness of an RGB (or gray: 0) image, in 8-bit units."""
    check_image(image, "image")
    rgb = ensure_uint8(to_rgb(image)).astype(np.float64)
    rg = rgb[..., 0] - rgb[..., 1]
    yb = 0.5 * (rgb[..., 0] + rgb[..., 1]) - rgb[..., 2]
    return float(np.hypot(rg.std(), yb.std()) + 0.3 * np.hypot(rg.mean(), yb.mean()))


def ab_error_curve(pred_ab: np.ndarray, true_ab: np.ndarray,
                   thresholds: np.ndarray = AUC_THRESHOLDS) -> np.ndarray:
    """Fraction of pixels with ``‖pred − true‖₂ <= t`` per threshold ``t``.

    Args:
        pred_ab, true_ab: ``(..., 2)`` ab values of the same shape.
        thresholds: ab distances.
    """
    pred_ab, true_ab = np.asarray(pred_ab, np.float64), np.asarray(true_ab, np.float64)
    if pred_ab.shape != true_ab.shape or pred_ab.shape[-1:] != (2,):
        raise ShapeError(f"pred_ab and true_ab: expected the same (..., 2) shape, got "
                         f"{pred_ab.shape} and {true_ab.shape}")
    dist = np.sort(np.sqrt(((pred_ab - true_ab) ** 2).sum(-1)).ravel())
    return np.searchsorted(dist, thresholds, side="right") / max(dist.size, 1)


def ab_auc(pred_ab: np.ndarray, true_ab: np.ndarray) -> float:
    """Normalised area under :func:`ab_error_curve` for t = 0..150 (1: perfect)."""
    return float(ab_error_curve(pred_ab, true_ab).mean())
