"""Region losses: soft Dice, soft Jaccard (IoU) and Tversky (with the focal-Tversky exponent).

All three are one formula over soft counts (``p`` = predicted probability, ``t`` = target):
``TP = Σ p·t``, ``FP = Σ p·(1−t)``, ``FN = Σ (1−p)·t`` summed over the batch and the pixels
(``per_image=True`` sums per image instead), and per class
``T = (TP + smooth) / (TP + α·FP + β·FN + smooth)``; the loss is ``(1 − T)^γ`` averaged over
classes. Dice is α = β = ½ (``2TP / (2TP + FP + FN)``), Jaccard α = β = 1 (``TP / (TP+FP+FN)``).

Compared with ``segmentation_models_pytorch.losses`` (same numbers where a class is present): smp
sets the loss of a class absent from the target to 0 whatever is predicted, so false positives of
an absent class cost nothing; here, with the default ``smooth=1``, an absent class costs
``1 − 1/(1 + α·FP)``, which is ~0 when nothing is predicted and grows with false positives.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from oculi.core.checks import check_positive
from oculi.train.losses._common import as_weights, prepare, reduce_weighted


def soft_counts(
    probs: torch.Tensor, onehot: torch.Tensor, valid: torch.Tensor, per_image: bool = False
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """Soft TP, FP, FN per class: ``(C,)`` each, or ``(N, C)`` with ``per_image``."""
    dims = (2,) if per_image else (0, 2)
    p = probs * valid
    t = onehot * valid
    tp = (p * t).sum(dims)
    fp = (p * (1 - t)).sum(dims)
    fn = ((1 - p) * t).sum(dims)
    return tp, fp, fn


class TverskyLoss(nn.Module):
    """``(1 − Tversky)^γ``; α weighs false positives, β false negatives.

    Args:
        alpha, beta: weights of FP and FN (α = β = ½ is Dice, α = β = 1 Jaccard).
        gamma: focal exponent (1: plain Tversky; 4/3 is the focal-Tversky paper's value).
        mode: "auto", "binary", "multiclass" or "multilabel" (see :mod:`._common`).
        classes: class indices to average over (default all; e.g. skip background with [1, 2]).
        class_weights: per-class weights of the average.
        ignore_index: target value whose pixels are left out.
        smooth: added to numerator and denominator (0 gives the exact ratio).
        per_image: counts per image, then the mean over images.
        log_loss: ``−log T`` instead of ``1 − T``.
        from_logits: inputs are logits (softmax / sigmoid applied here); False: probabilities.

    Shapes:
        logits ``(N, C, *spatial)`` float; target as described in :mod:`._common`. Returns a scalar.
    """

    def __init__(
        self,
        alpha: float = 0.5,
        beta: float = 0.5,
        gamma: float = 1.0,
        *,
        mode: str = "auto",
        classes: Sequence[int] | None = None,
        class_weights: Sequence[float] | None = None,
        ignore_index: int | None = None,
        smooth: float = 1.0,
        per_image: bool = False,
        log_loss: bool = False,
        from_logits: bool = True,
    ) -> None:
        super().__init__()
        check_positive(alpha, "alpha", allow_zero=True)
        check_positive(beta, "beta", allow_zero=True)
        check_positive(gamma, "gamma")
        check_positive(smooth, "smooth", allow_zero=True)
        self.alpha, self.beta, self.gamma = float(alpha), float(beta), float(gamma)
        self.mode, self.ignore_index, self.smooth = mode, ignore_index, float(smooth)
        self.classes = list(classes) if classes is not None else None
        self.class_weights = as_weights(class_weights, "class_weights")
        self.per_image, self.log_loss, self.from_logits = per_image, log_loss, from_logits

    def score(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """The per-class Tversky index, ``(C,)`` (or ``(N, C)`` with ``per_image``)."""
        prep = prepare(logits, target, self.mode, self.ignore_index, self.from_logits)
        tp, fp, fn = soft_counts(prep.probs, prep.onehot, prep.valid, self.per_image)
        den = tp + self.alpha * fp + self.beta * fn + self.smooth
        return (tp + self.smooth) / den.clamp_min(1e-7)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        score = self.score(logits, target)
        loss = -torch.log(score.clamp_min(1e-7)) if self.log_loss else 1.0 - score
        if self.gamma != 1.0:
            loss = loss.clamp_min(0) ** self.gamma
        weights = self.class_weights
        if self.classes is not None:
            loss = loss[..., self.classes]
            weights = weights[self.classes] if weights is not None else None
        return reduce_weighted(loss, weights).mean()


class DiceLoss(TverskyLoss):
    """Soft Dice loss ``1 − 2TP / (2TP + FP + FN)`` per class, averaged (:class:`TverskyLoss`)."""

    def __init__(self, **kwargs) -> None:
        super().__init__(alpha=0.5, beta=0.5, **kwargs)


class JaccardLoss(TverskyLoss):
    """Soft Jaccard (IoU) loss ``1 − TP / (TP + FP + FN)`` per class, averaged."""

    def __init__(self, **kwargs) -> None:
        super().__init__(alpha=1.0, beta=1.0, **kwargs)
