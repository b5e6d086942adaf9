"""Levenberg–Marquardt refinement of a homography on the reprojection error.

The cost is ``sum_i rho(|H x1_i - x2_i|^2)`` (one-sided transfer error in pixels, the error OpenCV
and most RANSAC variants score), over 8 parameters with ``H[2, 2] = 1``, in Hartley-normalised
coordinates for conditioning, with the analytic Jacobian. ``rho`` is the identity (plain least
squares, ``loss="linear"``) or a robust loss of scipy (``"soft_l1"``, ``"huber"``, ``"cauchy"``).

    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> H = np.array([[1.1, 0.05, 3.0], [-0.02, 0.95, -4.0], [1e-4, -2e-4, 1.0]])
    >>> x1 = rng.uniform(0, 500, (50, 2))
    >>> from oculi.geometry.transforms import transform_points
    >>> x2 = transform_points(H, x1)
    >>> bool(np.allclose(refine_homography(np.eye(3), x1, x2), H, atol=1e-6))
    True
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oculi.geometry._solvers import normalize_points
from oculi.geometry.transforms import as_matrix, as_points


def _residuals_and_jac(h8: np.ndarray, p1: np.ndarray, p2: np.ndarray):
    h = np.append(h8, 1.0)
    x, y = p1[:, 0], p1[:, 1]
    w = h[6] * x + h[7] * y + h[8]
    w = np.where(np.abs(w) < 1e-12, 1e-12, w)
    u = (h[0] * x + h[1] * y + h[2]) / w
    v = (h[3] * x + h[4] * y + h[5]) / w
    res = np.concatenate([u - p2[:, 0], v - p2[:, 1]])
    n = len(x)
    jac = np.zeros((2 * n, 8))
    iw = 1.0 / w
    jac[:n, 0], jac[:n, 1], jac[:n, 2] = x * iw, y * iw, iw
    jac[n:, 3], jac[n:, 4], jac[n:, 5] = x * iw, y * iw, iw
    jac[:n, 6], jac[:n, 7] = -u * x * iw, -u * y * iw
    jac[n:, 6], jac[n:, 7] = -v * x * iw, -v * y * iw
    return res, jac


def refine_homography(
    h: Any,
    xy1: Any,
    xy2: Any,
    *,
    weights: np.ndarray | None = None,
    loss: str = "linear",
    scale: float = 1.0,
    max_iterations: int = 50,
) -> np.ndarray:
    """Refine ``h`` (``3x3``, image 1 -> image 2) on the correspondences by LM.

    Args:
        h: the initial ``3x3`` homography.
        xy1, xy2: ``(N, 2)`` matched points (N >= 4), pixels.
        weights: optional ``(N,)`` non-negative weights per correspondence.
        loss: ``"linear"`` (least squares, LM) or a scipy robust loss (trust-region).
        scale: the robust loss's soft threshold in pixels (ignored for ``"linear"``).
        max_iterations: cap on LM iterations (function evaluations scale with it).

    Returns:
        The refined ``(3, 3)`` float64 matrix with ``H[2, 2] = 1``; the input (normalised) when the
        problem is too small or the optimisation fails.
    """
    from scipy.optimize import least_squares

    m = as_matrix(h)
    a, b = as_points(xy1, "xy1"), as_points(xy2, "xy2")
    if len(a) < 4 or not np.all(np.isfinite(m)) or abs(m[2, 2]) < 1e-12:
        return m / m[2, 2] if abs(m[2, 2]) > 1e-12 else m
    p1, t1 = normalize_points(a)
    p2, t2 = normalize_points(b)
    hn = t2 @ m @ np.linalg.inv(t1)
    if abs(hn[2, 2]) < 1e-12:
        return m / m[2, 2]
    hn = hn / hn[2, 2]
    sw = None if weights is None else np.sqrt(np.concatenate([weights, weights]))

    def fun(p: np.ndarray) -> np.ndarray:
        r, _ = _residuals_and_jac(p, p1, p2)
        return r if sw is None else r * sw

    def jac(p: np.ndarray) -> np.ndarray:
        _, j = _residuals_and_jac(p, p1, p2)
        return j if sw is None else j * sw[:, None]

    linear = loss == "linear"
    method = "lm" if linear and 2 * len(a) >= 8 else "trf"
    f_scale = scale * t2[0, 0]  # pixels -> normalised units
    try:
        sol = least_squares(
            fun, hn.reshape(-1)[:8], jac=jac, method=method,
            loss="linear" if linear else loss, f_scale=f_scale if not linear else 1.0,
            max_nfev=max_iterations + 10,
            x_scale="jac",
        )
    except (ValueError, np.linalg.LinAlgError):
        return m / m[2, 2]
    if not np.all(np.isfinite(sol.x)):
        return m / m[2, 2]
    out = np.linalg.inv(t2) @ np.append(sol.x, 1.0).reshape(3, 3) @ t1
    return out / out[2, 2]
