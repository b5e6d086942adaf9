"""Boundary F1 (the BF score of Csurka et al., BMVC 2013), streaming over a dataset.

Per class, the boundary of a mask is its pixels with a 4-neighbour outside the mask (image edges do
not count as boundary). A predicted boundary pixel is a hit when a true boundary pixel lies within
``tolerance`` pixels (Euclidean), and the other way round for recall; precision, recall and F1 are
formed from hit counts summed over all images (micro average), then averaged over classes that
have boundary pixels in the target or the prediction. ``bf1_image`` is Csurka et al.'s own
averaging: that F1 per image, then the mean over images.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch
from scipy import ndimage

from oculi.core.checks import check_positive
from oculi.core.errors import ShapeError
from oculi.train.metrics.confusion import to_labels


def mask_boundary(mask: np.ndarray) -> np.ndarray:
    """Boundary pixels of a 2-D boolean mask: inside, with a 4-neighbour outside (bool HxW)."""
    m = np.asarray(mask, bool)
    eroded = ndimage.binary_erosion(
        m, structure=ndimage.generate_binary_structure(2, 1), border_value=1
    )
    return m & ~eroded


def _hits(src: np.ndarray, dst: np.ndarray, tolerance: float) -> int:
    """How many ``src`` boundary pixels have a ``dst`` boundary pixel within ``tolerance``."""
    if not src.any() or not dst.any():
        return 0
    dist = ndimage.distance_transform_edt(~dst)
    return int((dist[src] <= tolerance).sum())


def _rates(pred_hits, pred_total, true_hits, true_total) -> tuple[np.ndarray, np.ndarray]:
    prec = np.where(pred_total > 0, pred_hits / np.maximum(pred_total, 1), 0.0)
    rec = np.where(true_total > 0, true_hits / np.maximum(true_total, 1), 0.0)
    return prec, rec


def _f1(pred_hits, pred_total, true_hits, true_total) -> np.ndarray:
    """F1 per class from hit counts; NaN where neither mask has a boundary."""
    prec, rec = _rates(pred_hits, pred_total, true_hits, true_total)
    f1 = np.where(prec + rec > 0, 2 * prec * rec / np.maximum(prec + rec, 1e-12), 0.0)
    return np.where((pred_total + true_total) > 0, f1, np.nan)


class BoundaryF1:
    """Streaming boundary precision / recall / F1 per class.

    Args:
        num_classes: classes C (2 for binary masks; class 0 counts too unless in ``classes``).
        tolerance: distance in pixels within which a boundary pixel is matched (2 by default).
        ignore_index: target value whose pixels are treated as matching nothing (removed from
            both masks before boundaries are taken).
        classes: the classes to score (default all).
    """

    def __init__(
        self,
        num_classes: int,
        *,
        tolerance: float = 2.0,
        ignore_index: int | None = None,
        classes: list[int] | None = None,
    ) -> None:
        check_positive(tolerance, "tolerance", allow_zero=True)
        self.num_classes, self.tolerance, self.ignore_index = (
            num_classes,
            float(tolerance),
            ignore_index,
        )
        self.classes = list(classes) if classes is not None else list(range(num_classes))
        self.reset()

    def reset(self) -> None:
        k = len(self.classes)
        self.pred_hits = np.zeros(k, np.int64)
        self.pred_total = np.zeros(k, np.int64)
        self.true_hits = np.zeros(k, np.int64)
        self.true_total = np.zeros(k, np.int64)
        self.image_f1: list[float] = []

    def update(self, prediction: torch.Tensor, target: torch.Tensor) -> None:
        """Add a batch: ``target`` ``(N, H, W)`` integer; ``prediction`` indices or logits."""
        pred = to_labels(prediction, target)
        if pred.shape != target.shape or target.ndim != 3:
            raise ShapeError(
                f"prediction and target: expected the same (N, H, W) size, got {tuple(pred.shape)} "
                f"and {tuple(target.shape)}"
            )
        p_all, t_all = pred.cpu().numpy(), target.cpu().numpy()
        for p, t in zip(p_all, t_all, strict=True):
            valid = (
                t != self.ignore_index if self.ignore_index is not None else np.ones(t.shape, bool)
            )
            counts = np.zeros((4, len(self.classes)), np.int64)
            for i, c in enumerate(self.classes):
                bp = mask_boundary((p == c) & valid)
                bt = mask_boundary((t == c) & valid)
                counts[:, i] = (_hits(bp, bt, self.tolerance), int(bp.sum()),
                                _hits(bt, bp, self.tolerance), int(bt.sum()))
            self.pred_hits += counts[0]
            self.pred_total += counts[1]
            self.true_hits += counts[2]
            self.true_total += counts[3]
            f1 = _f1(*counts)
            if not np.isnan(f1).all():
                self.image_f1.append(float(np.nanmean(f1)))

    def compute(self) -> dict[str, Any]:
        """``bf1`` (mean over scored classes), ``bf1_image`` (per image, then the mean over the
        images with a scored class), per-class ``precision``, ``recall``, ``f1``."""
        prec, rec = _rates(self.pred_hits, self.pred_total, self.true_hits, self.true_total)
        f1 = _f1(self.pred_hits, self.pred_total, self.true_hits, self.true_total)
        scored = (self.pred_total + self.true_total) > 0
        return {
            "bf1": float(np.nanmean(f1)) if scored.any() else float("nan"),
            "bf1_image": float(np.mean(self.image_f1)) if self.image_f1 else float("nan"),
            "f1": [None if v != v else float(v) for v in f1],
            "precision": prec.tolist(),
            "recall": rec.tolist(),
            "classes": self.classes,
            "tolerance": self.tolerance,
        }
