"""Depth-estimation errors in the standard form of Eigen et al. (NIPS 2014).

Over the ``n`` pixels whose reference depth ``g`` is known (finite, in ``(min_depth,
max_depth)``, inside the mask), with the prediction ``p`` clipped to ``[min_depth, max_depth]``:

* ``abs_rel = mean(|p - g| / g)``, ``sq_rel = mean((p - g)^2 / g)``
* ``rmse = sqrt(mean((p - g)^2))``, ``rmse_log = sqrt(mean((ln p - ln g)^2))``
* ``delta1/2/3 = mean(max(p / g, g / p) < 1.25^k)`` for ``k = 1, 2, 3``

    >>> import numpy as np
    >>> m = depth_metrics(np.array([[1.0, 2.5]]), np.array([[1.0, 2.0]]))   # 2.5 / 2: not < 1.25
    >>> m.abs_rel, m.rmse, m.delta1, m.n_valid
    (0.125, 0.3535533905932738, 0.5, 2)
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

from oculi.core.checks import check_positive
from oculi.core.errors import DataError, ParameterError
from oculi.depth.align import valid_pixels


@dataclass(frozen=True)
class DepthMetrics:
    """Errors of a depth map against a reference (definitions in :mod:`oculi.depth.metrics`).

    Attributes:
        abs_rel: mean absolute relative error (unitless).
        sq_rel: mean squared error over depth (the depth unit, e.g. metres).
        rmse: root mean squared error (the depth unit).
        rmse_log: root mean squared error of natural logs (unitless).
        delta1, delta2, delta3: fraction of pixels with ``max(p/g, g/p)`` below 1.25, 1.25^2,
            1.25^3, in [0, 1].
        n_valid: number of pixels scored.
    """

    abs_rel: float
    sq_rel: float
    rmse: float
    rmse_log: float
    delta1: float
    delta2: float
    delta3: float
    n_valid: int

    def as_dict(self) -> dict[str, float | int]:
        """The fields as a JSON-friendly dict."""
        return asdict(self)


def depth_metrics(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray | None = None, *,
                  min_depth: float = 1e-3, max_depth: float | None = None) -> DepthMetrics:
    """Score a depth map ``pred`` against the reference ``gt`` (same unit, e.g. metres).

    Args:
        pred: HxW predicted depth (already aligned; see :func:`oculi.depth.align_scale_shift`);
            ``+inf`` (an aligned inverse depth <= 0) is clipped to ``max_depth``.
        gt: HxW reference depth; 0, negative, NaN or inf = unknown.
        mask: optional HxW bool map of the pixels to score.
        min_depth: reference depths at or below it are not scored; predictions are clipped up
            to it (> 0, the unit of ``gt``).
        max_depth: reference depths at or above it are not scored; predictions are clipped down
            to it. None: no upper bound.

    Returns:
        :class:`DepthMetrics`.

    Raises:
        ShapeError: maps of different sizes or not HxW.
        ParameterError: ``min_depth`` not positive or ``max_depth <= min_depth``.
        DataError: no pixel to score, or NaN predictions (or ``+inf`` without ``max_depth``)
            where the reference is known.
    """
    check_positive(min_depth, "min_depth")
    if max_depth is not None and max_depth <= min_depth:
        raise ParameterError(f"max_depth: expected a value above min_depth={min_depth}, "
                             f"got {max_depth}")
    p, g, ok = valid_pixels(pred, gt, mask, finite_pred=False)
    ok &= g > min_depth
    if max_depth is not None:
        ok &= g < max_depth
    if not ok.any():
        raise DataError(f"gt: no pixel with a known depth in ({min_depth}, "
                        f"{max_depth or 'inf'}) to score")
    p, g = p[ok], g[ok]
    bad = np.isnan(p) | (np.isposinf(p) if max_depth is None else False)
    if bad.any():
        raise DataError(f"pred: {int(bad.sum())} NaN or infinite value(s) where gt is known — "
                        "pass max_depth (to clip inf), or leave those pixels out with mask=")
    p = np.clip(p, min_depth, max_depth if max_depth is not None else np.inf)
    err = p - g
    ratio = np.maximum(p / g, g / p)
    return DepthMetrics(
        abs_rel=float(np.mean(np.abs(err) / g)),
        sq_rel=float(np.mean(err**2 / g)),
        rmse=float(np.sqrt(np.mean(err**2))),
        rmse_log=float(np.sqrt(np.mean((np.log(p) - np.log(g)) ** 2))),
        delta1=float(np.mean(ratio < 1.25)),
        delta2=float(np.mean(ratio < 1.25**2)),
        delta3=float(np.mean(ratio < 1.25**3)),
        n_valid=int(ok.sum()),
    )
