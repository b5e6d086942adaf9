"""Precision, recall and F-score at every decision threshold, streaming: the best-threshold F.

A binary score map (a foreground probability) is binarised at ``t`` for each threshold of a grid;
``update`` adds each image's scores to two histograms (positives, negatives) over the grid, so a
data set is measured without keeping its predictions and the cost does not grow with the number of
thresholds. At threshold ``t`` a pixel is called positive when ``score > t`` (as the ISBI 2012
challenge's Fiji evaluation binarises its proposals).

This gives the *maximal F-score* of the ISBI 2012 EM challenge, whose "pixel error" is
``1 − max_t F(t)`` with the label image's non-zero pixels (the cells; membranes are 0) as the
positive class — the figure the U-Net paper's 0.0611 reports.

    >>> import torch
    >>> sweep = ThresholdSweep(thresholds=[0.25, 0.5, 0.75])
    >>> sweep.update(torch.tensor([0.9, 0.6, 0.4, 0.1]), torch.tensor([1, 1, 0, 0]))
    >>> r = sweep.compute()
    >>> r["f1"], r["best_threshold"], r["max_f1"]
    ([0.8, 1.0, 0.6666666666666666], 0.5, 1.0)
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch

from oculi.core.errors import ShapeError, ValueRangeError


class ThresholdSweep:
    """Streaming counts of a binary score map against a 0/1 target at a grid of thresholds.

    Args:
        thresholds: increasing thresholds in [0, 1) (default 0.00, 0.01, ..., 0.99).
        ignore_index: target value whose pixels are not counted.
    """

    def __init__(
        self, thresholds: Sequence[float] | None = None, *, ignore_index: int | None = None
    ) -> None:
        t = torch.arange(100, dtype=torch.float64) / 100 if thresholds is None else (
            torch.as_tensor(list(thresholds), dtype=torch.float64))
        if t.ndim != 1 or len(t) == 0 or bool((t[1:] <= t[:-1]).any()):
            raise ValueRangeError("thresholds: expected a non-empty increasing sequence")
        if bool((t < 0).any()) or bool((t >= 1).any()):
            raise ValueRangeError("thresholds: expected values in [0, 1)")
        self.thresholds = t
        self.ignore_index = ignore_index
        self.reset()

    def reset(self) -> None:
        """Forget every update."""
        n = len(self.thresholds) + 1  # bin k: thresholds[k-1] < score <= thresholds[k]
        self._pos = torch.zeros(n, dtype=torch.int64)
        self._neg = torch.zeros(n, dtype=torch.int64)

    def update(self, scores: torch.Tensor, target: torch.Tensor) -> None:
        """Add one batch.

        Args:
            scores: float scores in [0, 1] (probabilities), any shape.
            target: the same shape, 1 = positive, 0 = negative (``ignore_index`` skipped).
        """
        scores = torch.as_tensor(scores).detach().cpu().double()
        target = torch.as_tensor(target).detach().cpu()
        if scores.shape != target.shape:
            raise ShapeError(
                f"scores {tuple(scores.shape)} and target {tuple(target.shape)} differ in shape"
            )
        keep = torch.ones_like(target, dtype=torch.bool)
        if self.ignore_index is not None:
            keep = target != self.ignore_index
        s, y = scores[keep], target[keep]
        if len(y) and bool(((y != 0) & (y != 1)).any()):
            raise ValueRangeError("target: expected 0/1 values (or the ignore index)")
        if len(s) and (float(s.min()) < 0 or float(s.max()) > 1):
            raise ValueRangeError("scores: expected probabilities in [0, 1]")
        # number of thresholds strictly below the score = the bin; positive at t_k iff bin > k
        bins = torch.searchsorted(self.thresholds, s, right=False)
        n = len(self.thresholds) + 1
        self._pos += torch.bincount(bins[y == 1], minlength=n)
        self._neg += torch.bincount(bins[y == 0], minlength=n)

    def compute(self) -> dict[str, Any]:
        """Per threshold ``precision``, ``recall``, ``f1`` (lists), the ``max_f1`` and its
        ``best_threshold``, and ``positives``/``negatives`` (pixels counted).

        A threshold at which nothing is called positive has precision 1 (no false claim);
        with no positive pixels at all recall is undefined and F is 0.
        """
        # called positive at t_k: bins k+1 .. n-1
        tp = self._pos.flip(0).cumsum(0).flip(0)[1:].double()
        fp = self._neg.flip(0).cumsum(0).flip(0)[1:].double()
        pos = float(self._pos.sum())
        fn = pos - tp
        precision = torch.where(tp + fp > 0, tp / (tp + fp).clamp(min=1), torch.ones_like(tp))
        recall = tp / pos if pos > 0 else torch.zeros_like(tp)
        denom = 2 * tp + fp + fn
        f1 = torch.where(denom > 0, 2 * tp / denom.clamp(min=1), torch.zeros_like(tp))
        k = int(f1.argmax())
        return {
            "thresholds": self.thresholds.tolist(),
            "precision": precision.tolist(),
            "recall": recall.tolist(),
            "f1": f1.tolist(),
            "max_f1": float(f1[k]),
            "best_threshold": float(self.thresholds[k]),
            "positives": int(pos),
            "negatives": int(self._neg.sum()),
        }
