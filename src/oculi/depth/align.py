"""Scale-and-shift alignment of a relative depth prediction to a reference depth map.

Monocular networks in the MiDaS family predict *relative inverse depth* (disparity up to an
unknown scale and shift). Before comparing with metric depth, the prediction is aligned by least
squares on the pixels where the reference is known:

* ``space="inverse"`` (the MiDaS convention): solve ``s * pred + t ~ 1 / gt``, then invert the
  aligned disparity to depth;
* ``space="depth"``: the prediction is relative depth; solve ``s * pred + t ~ gt``.

Reference pixels that are 0, negative, NaN or infinite are unknown and take no part in the fit.

    >>> import numpy as np
    >>> gt = np.array([[1.0, 2.0], [4.0, 0.0]], np.float32)   # 0: no measurement
    >>> pred = 3.0 * (1.0 / np.array([[1.0, 2.0], [4.0, 8.0]])) + 0.5
    >>> aligned = align_scale_shift(pred, gt)
    >>> round(aligned.scale, 4), round(aligned.shift, 4)
    (0.3333, -0.1667)
    >>> np.round(aligned.depth, 4).tolist()
    [[1.0, 2.0], [4.0, 8.0]]
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from oculi.core.checks import check_choice
from oculi.core.errors import DataError, ShapeError

SPACES = ("inverse", "depth")


class AlignedDepth(NamedTuple):
    """An aligned prediction; unpacks as ``depth, scale, shift``.

    Attributes:
        depth: HxW float32 depth in the reference's unit (metres for TUM); ``+inf`` where an
            aligned disparity is not positive (``space="inverse"`` only).
        scale: the factor applied to the prediction (in the alignment space).
        shift: the offset added after scaling (in the alignment space; 0 for :func:`align_scale`).
    """

    depth: np.ndarray
    scale: float
    shift: float


def _as_map(a: np.ndarray, name: str) -> np.ndarray:
    arr = np.asarray(a)
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim != 2:
        raise ShapeError(f"{name}: expected an HxW map, got shape {arr.shape}")
    if arr.dtype.kind not in "fiu":
        raise ShapeError(f"{name}: expected a numeric map, got dtype {arr.dtype.name}")
    return arr.astype(np.float64)


def valid_pixels(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray | None = None, *,
                 finite_pred: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Both maps as float64 and the boolean HxW map of the pixels usable for a fit.

    A pixel is usable where ``gt`` is finite and > 0, ``mask`` (HxW bool, optional) is true and,
    with ``finite_pred``, ``pred`` is finite.

    Raises:
        ShapeError: not HxW maps of one size.
    """
    p, g = _as_map(pred, "pred"), _as_map(gt, "gt")
    if p.shape != g.shape:
        raise ShapeError(f"pred and gt: expected one size, got {p.shape} and {g.shape} — resize "
                         "the prediction to the reference first")
    with np.errstate(invalid="ignore"):
        ok = np.isfinite(g) & (g > 0)
    if finite_pred:
        ok &= np.isfinite(p)
    if mask is not None:
        m = np.asarray(mask)
        if m.shape != g.shape:
            raise ShapeError(f"mask: expected shape {g.shape}, got {m.shape}")
        ok &= m.astype(bool)
    return p, g, ok


def _target(gt: np.ndarray, space: str) -> np.ndarray:
    return 1.0 / gt if space == "inverse" else gt


def _to_depth(values: np.ndarray, space: str) -> np.ndarray:
    if space == "depth":
        return values.astype(np.float32)
    out = np.full(values.shape, np.inf, np.float32)
    positive = values > 0
    out[positive] = (1.0 / values[positive]).astype(np.float32)
    out[np.isnan(values)] = np.nan
    return out


def align_scale_shift(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray | None = None, *,
                      space: str = "inverse") -> AlignedDepth:
    """Least-squares scale and shift of ``pred`` onto ``gt``, returned as aligned depth.

    Args:
        pred: HxW relative prediction (float; any scale): inverse depth for
            ``space="inverse"``, depth for ``space="depth"``.
        gt: HxW reference depth (e.g. metres); 0, negative, NaN or inf = unknown.
        mask: optional HxW bool map of the pixels allowed in the fit.
        space: ``"inverse"`` fits ``s * pred + t`` to ``1 / gt`` and inverts the result;
            ``"depth"`` fits it to ``gt`` directly.

    Returns:
        :class:`AlignedDepth` with the HxW float32 depth over *every* pixel (``+inf`` where an
        aligned inverse depth is <= 0, NaN where ``pred`` is NaN) and the float ``scale``,
        ``shift``.

    Raises:
        ShapeError: maps of different sizes or not HxW.
        DataError: fewer than 2 usable pixels, or ``pred`` constant on them (no unique fit).
        ParameterError: an unknown ``space``.
    """
    check_choice(space, SPACES, "space")
    p, g, ok = valid_pixels(pred, gt, mask)
    x, y = p[ok], _target(g[ok], space)
    if x.size < 2:
        raise DataError(f"gt: {x.size} usable pixel(s) (finite, > 0, inside mask) — need at "
                        "least 2 to fit a scale and a shift")
    xc = x - x.mean()
    var = float(xc @ xc)
    if var <= 1e-12 * max(1.0, float(x @ x)):
        raise DataError(f"pred: constant over the {x.size} usable pixels — scale and shift "
                        "are undetermined")
    scale = float(xc @ (y - y.mean())) / var
    shift = float(y.mean() - scale * x.mean())
    return AlignedDepth(_to_depth(scale * p + shift, space), scale, shift)


def align_scale(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray | None = None, *,
                space: str = "inverse") -> AlignedDepth:
    """Median-ratio scaling (no shift) of ``pred`` onto ``gt``, returned as aligned depth.

    ``scale = median(target) / median(pred)`` over the usable pixels, where the target is
    ``1 / gt`` (``space="inverse"``) or ``gt`` (``space="depth"``); the usual alignment for
    self-supervised networks that are right up to scale only.

    Args and Returns: as :func:`align_scale_shift` (``shift`` is 0).

    Raises:
        ShapeError: maps of different sizes or not HxW.
        DataError: no usable pixel, or a median prediction of 0.
        ParameterError: an unknown ``space``.
    """
    check_choice(space, SPACES, "space")
    p, g, ok = valid_pixels(pred, gt, mask)
    if not ok.any():
        raise DataError("gt: no usable pixel (finite, > 0, inside mask) to fit a scale")
    mid = float(np.median(p[ok]))
    if mid == 0:
        raise DataError("pred: median 0 over the usable pixels — no scale can be fitted")
    scale = float(np.median(_target(g[ok], space))) / mid
    return AlignedDepth(_to_depth(scale * p, space), scale, 0.0)
