"""Flow accuracy: endpoint and angular error against ground truth, over known pixels.

The endpoint error (EPE) of a pixel is ``|w - w_gt|`` in pixels; the angular error (AE) is the
angle between the space-time vectors ``(u, v, 1)`` and ``(u_gt, v_gt, 1)`` in degrees (Barron et
al. 1994; Baker et al. 2011). Pixels whose ground truth is unknown (NaN or > 1e9) are excluded.

    >>> import numpy as np
    >>> gt = np.zeros((2, 2, 2), np.float32)
    >>> est = gt + np.float32([3, 4])
    >>> round(endpoint_error(est, gt), 3)
    5.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oculi.core.errors import DataError
from oculi.flow._base import check_flow
from oculi.flow.flo import known_mask


def _pair(flow: np.ndarray, gt: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    g = check_flow(gt, "gt")
    f = check_flow(flow, "flow", shape=g.shape[:2])
    return f, g, known_mask(g)


def endpoint_error_map(flow: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-pixel endpoint error.

    Args:
        flow: HxWx2 estimated flow, pixels.
        gt: HxWx2 ground truth, pixels; unknown entries are NaN or > 1e9.

    Returns:
        HxW float32 error in pixels; NaN where the ground truth is unknown.
    """
    f, g, known = _pair(flow, gt)
    err = np.sqrt(((f - np.where(known[..., None], g, 0)) ** 2).sum(axis=2))
    return np.where(known, err, np.nan).astype(np.float32)


def angular_error_map(flow: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """Per-pixel angular error in degrees between ``(u, v, 1)`` and ``(u_gt, v_gt, 1)``.

    Returns:
        HxW float32 angles in [0, 180) degrees; NaN where the ground truth is unknown.
    """
    f, g, known = _pair(flow, gt)
    g = np.where(known[..., None], g, 0).astype(np.float64)
    f = f.astype(np.float64)
    num = 1.0 + (f * g).sum(axis=2)
    den = np.sqrt(1.0 + (f**2).sum(axis=2)) * np.sqrt(1.0 + (g**2).sum(axis=2))
    ang = np.degrees(np.arccos(np.clip(num / den, -1.0, 1.0)))
    return np.where(known, ang, np.nan).astype(np.float32)


def _mean_known(err: np.ndarray) -> float:
    valid = np.isfinite(err)
    if not valid.any():
        raise DataError("gt: no pixel with known ground-truth flow")
    return float(err[valid].mean())


def endpoint_error(flow: np.ndarray, gt: np.ndarray) -> float:
    """Average endpoint error (EPE) in pixels over the pixels with known ground truth.

    Raises:
        ShapeError: the two fields differ in size or are not HxWx2.
        DataError: no pixel of ``gt`` is known.
    """
    return _mean_known(endpoint_error_map(flow, gt))


def angular_error(flow: np.ndarray, gt: np.ndarray) -> float:
    """Average angular error (AE) in degrees over the pixels with known ground truth."""
    return _mean_known(angular_error_map(flow, gt))


def flow_errors(flow: np.ndarray, gt: np.ndarray) -> dict[str, Any]:
    """EPE, AE and robustness statistics in one dictionary.

    Returns:
        ``epe`` (px), ``ae`` (degrees), ``rx`` for x in 0.5, 1, 3: the percentage of known pixels
        with EPE above x px, and ``known`` (fraction of pixels with ground truth).
    """
    epe = endpoint_error_map(flow, gt)
    valid = np.isfinite(epe)
    if not valid.any():
        raise DataError("gt: no pixel with known ground-truth flow")
    e = epe[valid]
    return {
        "epe": float(e.mean()),
        "ae": _mean_known(angular_error_map(flow, gt)),
        "r0.5": float((e > 0.5).mean() * 100),
        "r1": float((e > 1.0).mean() * 100),
        "r3": float((e > 3.0).mean() * 100),
        "known": float(valid.mean()),
    }
