"""Disparity errors against ground truth: bad-N, mean absolute error (EPE), RMSE, density.

Known pixels are those with finite, positive ground truth. An estimate that is NaN (invalid)
counts as a bad pixel in bad-N (Middlebury's convention for dense maps) and is left out of the
mean errors; ``density`` reports the fraction of known pixels with an estimate.
"""

from __future__ import annotations

import numpy as np

from oculi.core.errors import ShapeError


def _known(disparity: np.ndarray, ground_truth: np.ndarray, mask: np.ndarray | None
           ) -> tuple[np.ndarray, np.ndarray]:
    d = np.asarray(disparity, dtype=np.float32)
    g = np.asarray(ground_truth, dtype=np.float32)
    if d.shape != g.shape or d.ndim != 2:
        raise ShapeError(f"disparity and ground_truth: expected two HxW maps of one size, got "
                         f"{d.shape} and {g.shape}")
    known = np.isfinite(g) & (g > 0)
    if mask is not None:
        if mask.shape != g.shape:
            raise ShapeError(f"mask: expected shape {g.shape}, got {mask.shape}")
        known &= mask.astype(bool)
    return d[known], g[known]


def bad_pixel_rate(disparity: np.ndarray, ground_truth: np.ndarray, threshold: float = 2.0,
                   mask: np.ndarray | None = None) -> float:
    """Fraction of known pixels whose disparity is off by more than ``threshold`` pixels.

    Args:
        disparity: HxW float estimate in pixels, NaN where invalid (counted as bad).
        ground_truth: HxW float disparity in pixels; NaN, inf or 0 mean unknown.
        threshold: error bound N in pixels (bad-1, bad-2, bad-4 ...).
        mask: optional HxW bool, True where the pixel is scored (e.g. non-occluded).

    Returns:
        The bad fraction in [0, 1] (NaN if no pixel is known).
    """
    d, g = _known(disparity, ground_truth, mask)
    if g.size == 0:
        return float("nan")
    err = np.abs(d - g)
    return float(np.mean(~(err <= threshold)))


def disparity_errors(disparity: np.ndarray, ground_truth: np.ndarray,
                     mask: np.ndarray | None = None,
                     thresholds: tuple[float, ...] = (1.0, 2.0, 4.0)) -> dict[str, float]:
    """All scores of one disparity map: ``bad1``, ``bad2``, ``bad4`` (fractions), ``epe``
    (mean absolute error, px), ``rmse`` (px), ``density`` (fraction of known pixels estimated).

    Args:
        disparity: HxW float estimate in pixels, NaN where invalid.
        ground_truth: HxW float disparity in pixels; NaN, inf or 0 unknown.
        mask: optional HxW bool of the pixels to score.
        thresholds: the N of the bad-N entries.
    """
    d, g = _known(disparity, ground_truth, mask)
    out: dict[str, float] = {}
    err = np.abs(d - g)
    for t in thresholds:
        out[f"bad{t:g}"] = float(np.mean(~(err <= t))) if g.size else float("nan")
    valid = np.isfinite(err)
    out["epe"] = float(err[valid].mean()) if valid.any() else float("nan")
    out["rmse"] = float(np.sqrt(np.mean(err[valid] ** 2))) if valid.any() else float("nan")
    out["density"] = float(valid.mean()) if g.size else float("nan")
    return out
