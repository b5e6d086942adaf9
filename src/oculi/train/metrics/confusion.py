"""Streaming segmentation metrics from one confusion matrix: IoU, Dice/F1, accuracy.

The matrix ``M[t, p]`` counts pixels of true class ``t`` predicted as ``p``, accumulated image by
image (``update``), so a dataset is measured without keeping its predictions. Per class
``TP = M[c, c]``, ``FP = Σ_t M[t, c] − TP``, ``FN = Σ_p M[c, p] − TP``;
``IoU = TP / (TP + FP + FN)``, ``Dice = F1 = 2TP / (2TP + FP + FN)``. A class that appears neither
in the targets nor in the predictions has no score (NaN) and is left out of the means, as
torchmetrics does with ``absent_score`` unset.

    >>> import torch
    >>> cm = ConfusionMatrix(num_classes=2)
    >>> cm.update(torch.tensor([[0, 1, 1, 1]]), torch.tensor([[0, 0, 1, 1]]))
    >>> [round(v, 4) for v in cm.iou().tolist()]   # class 0: 1/2, class 1: 2/3
    [0.5, 0.6667]
    >>> round(cm.compute()["pixel_accuracy"], 4)
    0.75
"""

from __future__ import annotations

from typing import Any

import torch

from oculi.core.errors import ShapeError, ValueRangeError


def to_labels(
    prediction: torch.Tensor, target: torch.Tensor, threshold: float = 0.5
) -> torch.Tensor:
    """Class indices from a prediction that is indices already, logits ``(N, C, ...)`` (argmax) or
    one-channel logits ``(N, 1, ...)`` (``sigmoid > threshold``)."""
    if prediction.ndim == target.ndim + 1:
        if prediction.shape[1] == 1:
            return (prediction[:, 0].sigmoid() > threshold).long()
        return prediction.argmax(1)
    if prediction.is_floating_point():
        raise ShapeError(
            f"prediction: expected class indices of shape {tuple(target.shape)} or logits "
            f"(N, C, ...), got float {tuple(prediction.shape)}"
        )
    return prediction.long()


class ConfusionMatrix:
    """A ``(C, C)`` confusion matrix accumulated over batches (int64, on CPU).

    Args:
        num_classes: number of classes C (2 for a binary mask: background, foreground).
        ignore_index: target value whose pixels are not counted (e.g. 255, or CamVid's void 11).
        class_names: optional names for the per-class results.
    """

    def __init__(
        self,
        num_classes: int,
        *,
        ignore_index: int | None = None,
        class_names: list[str] | None = None,
    ) -> None:
        if num_classes < 1:
            raise ValueRangeError(f"num_classes: expected >= 1, got {num_classes}")
        self.num_classes = int(num_classes)
        self.ignore_index = ignore_index
        self.class_names = class_names
        self.matrix = torch.zeros(num_classes, num_classes, dtype=torch.int64)

    def reset(self) -> None:
        self.matrix.zero_()

    def update(self, prediction: torch.Tensor, target: torch.Tensor) -> None:
        """Add one batch. ``target``: ``(N, ...)`` integer; ``prediction``: see :func:`to_labels`.

        Raises:
            ShapeError: prediction and target sizes differ.
            ValueRangeError: target or prediction classes outside ``[0, C)`` (ignore excepted).
        """
        pred = to_labels(prediction, target)
        if pred.shape != target.shape:
            raise ShapeError(
                f"prediction and target: expected the same size, got {tuple(pred.shape)} and "
                f"{tuple(target.shape)} — resize the mask to the image"
            )
        t = target.long().reshape(-1).cpu()
        p = pred.reshape(-1).cpu()
        if self.ignore_index is not None:
            keep = t != self.ignore_index
            t, p = t[keep], p[keep]
        c = self.num_classes
        for name, v in (("target", t), ("prediction", p)):
            if v.numel() and (int(v.min()) < 0 or int(v.max()) >= c):
                raise ValueRangeError(
                    f"{name}: class indices must lie in [0, {c - 1}], "
                    f"found {int(v.min())}..{int(v.max())} — declare more classes"
                )
        self.matrix += torch.bincount(t * c + p, minlength=c * c).reshape(c, c)

    def counts(self) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """TP, FP, FN per class (float64)."""
        m = self.matrix.double()
        tp = m.diag()
        return tp, m.sum(0) - tp, m.sum(1) - tp

    def iou(self) -> torch.Tensor:
        """Per-class IoU (NaN for classes absent from both target and prediction)."""
        tp, fp, fn = self.counts()
        den = tp + fp + fn
        return torch.where(den > 0, tp / den.clamp_min(1), torch.nan)

    def dice(self) -> torch.Tensor:
        """Per-class Dice = F1 (NaN for absent classes)."""
        tp, fp, fn = self.counts()
        den = 2 * tp + fp + fn
        return torch.where(den > 0, 2 * tp / den.clamp_min(1), torch.nan)

    def compute(self) -> dict[str, Any]:
        """``iou``, ``dice``, ``precision``, ``recall`` per class (lists, NaN → None), ``miou``,
        ``mdice``, ``pixel_accuracy``, ``mean_accuracy`` and the pixel count."""
        tp, fp, fn = self.counts()
        total = float(self.matrix.sum())
        iou, dice = self.iou(), self.dice()
        prec = torch.where(tp + fp > 0, tp / (tp + fp).clamp_min(1), torch.nan)
        rec = torch.where(tp + fn > 0, tp / (tp + fn).clamp_min(1), torch.nan)

        def _list(x: torch.Tensor) -> list[float | None]:
            return [None if v != v else float(v) for v in x.tolist()]

        def _mean(x: torch.Tensor) -> float:
            return float(x.nanmean()) if bool((~x.isnan()).any()) else float("nan")

        return {
            "miou": _mean(iou),
            "mdice": _mean(dice),
            "pixel_accuracy": float(tp.sum() / total) if total else float("nan"),
            "mean_accuracy": _mean(rec),
            "iou": _list(iou),
            "dice": _list(dice),
            "precision": _list(prec),
            "recall": _list(rec),
            "pixels": int(total),
            "class_names": self.class_names,
        }
