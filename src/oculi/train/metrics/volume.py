"""Volume metrics with physical spacing: Dice and the 95% Hausdorff distance (HD95).

Surfaces are the mask voxels with a face-neighbour outside the mask. Distances between surfaces are
Euclidean in millimetres (``spacing`` per axis), from ``scipy.ndimage.distance_transform_edt`` with
``sampling=spacing``. ``HD95 = max(P95(d(A→B)), P95(d(B→A)))``, MONAI's definition
(``compute_hausdorff_distance(percentile=95)``); ``percentile=100`` gives the classic Hausdorff
distance. Empty masks: both empty → Dice 1 and HD 0; one empty → Dice 0 and HD ``inf``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
from scipy import ndimage

from oculi.core.errors import ShapeError, ValueRangeError


def _check(
    pred: np.ndarray, target: np.ndarray, spacing: Sequence[float] | None
) -> tuple[float, ...]:
    p, t = np.asarray(pred), np.asarray(target)
    if p.shape != t.shape:
        raise ShapeError(
            f"prediction and target: expected the same shape, got {p.shape} and {t.shape}"
        )
    sp = tuple(float(s) for s in spacing) if spacing is not None else (1.0,) * p.ndim
    if len(sp) != p.ndim or min(sp) <= 0:
        raise ValueRangeError(
            f"spacing: expected {p.ndim} positive values (mm per axis), got {spacing}"
        )
    return sp


def dice_score(pred: np.ndarray, target: np.ndarray) -> float:
    """Dice ``2|A∩B| / (|A| + |B|)`` of two boolean masks of any dimension (1.0 when both empty)."""
    _check(pred, target, None)
    a, b = np.asarray(pred, bool), np.asarray(target, bool)
    den = int(a.sum()) + int(b.sum())
    return 1.0 if den == 0 else 2.0 * int((a & b).sum()) / den


def surface(mask: np.ndarray) -> np.ndarray:
    """Surface voxels of a boolean mask (inside, with a face-neighbour outside)."""
    m = np.asarray(mask, bool)
    return m & ~ndimage.binary_erosion(
        m, structure=ndimage.generate_binary_structure(m.ndim, 1), border_value=0
    )


def surface_distances(
    a: np.ndarray, b: np.ndarray, spacing: Sequence[float] | None = None
) -> np.ndarray:
    """Distances (mm) from each surface voxel of ``a`` to the nearest surface voxel of ``b``."""
    sp = _check(a, b, spacing)
    sa, sb = surface(a), surface(b)
    if not sb.any():
        return np.full(int(sa.sum()), np.inf)
    dist = ndimage.distance_transform_edt(~sb, sampling=sp)
    return dist[sa]


def hausdorff_distance(
    pred: np.ndarray,
    target: np.ndarray,
    spacing: Sequence[float] | None = None,
    percentile: float = 95.0,
) -> float:
    """Symmetric percentile Hausdorff distance in mm (HD95 by default; see the module docstring)."""
    _check(pred, target, spacing)
    a, b = np.asarray(pred, bool), np.asarray(target, bool)
    if not a.any() and not b.any():
        return 0.0
    if not a.any() or not b.any():
        return float("inf")
    d_ab = surface_distances(a, b, spacing)
    d_ba = surface_distances(b, a, spacing)
    return float(max(np.percentile(d_ab, percentile), np.percentile(d_ba, percentile)))


class VolumeMetrics:
    """Per-volume Dice and HD95 for each foreground class, kept as scalars (streaming).

    Args:
        num_classes: classes including background 0; classes 1..C-1 are scored.
        percentile: Hausdorff percentile (95).
    """

    def __init__(self, num_classes: int = 2, *, percentile: float = 95.0) -> None:
        self.num_classes, self.percentile = num_classes, percentile
        self.rows: list[dict[str, Any]] = []

    def reset(self) -> None:
        self.rows = []

    def update(
        self,
        prediction: np.ndarray,
        target: np.ndarray,
        spacing: Sequence[float] | None = None,
        name: str = "",
    ) -> dict[str, Any]:
        """Score one volume of class indices (``(D, H, W)`` integer arrays); returns its row."""
        p, t = np.asarray(prediction), np.asarray(target)
        _check(p, t, spacing)
        row: dict[str, Any] = {"name": name, "dice": [], "hd95": []}
        for c in range(1, self.num_classes):
            row["dice"].append(dice_score(p == c, t == c))
            row["hd95"].append(hausdorff_distance(p == c, t == c, spacing, self.percentile))
        self.rows.append(row)
        return row

    def compute(self) -> dict[str, Any]:
        """Mean Dice and HD95 per class over the volumes (HD95 mean over finite values)."""
        if not self.rows:
            return {"dice": [], "hd95": [], "volumes": 0}
        dice = np.array([r["dice"] for r in self.rows], float)
        hd = np.array([r["hd95"] for r in self.rows], float)
        hd_mean = [
            float(np.mean(col[np.isfinite(col)])) if np.isfinite(col).any() else float("inf")
            for col in hd.T
        ]
        return {
            "dice": dice.mean(0).tolist(),
            "hd95": hd_mean,
            "mean_dice": float(dice.mean()),
            "volumes": len(self.rows),
            "rows": self.rows,
        }
