"""Pixel-wise losses: binary / multi-class cross entropy (class weights, ignore index), focal,
and the image-to-image MSE and L1.

Cross entropy and BCE are torch's own (``F.cross_entropy``, ``F.binary_cross_entropy_with_logits``)
with oculi's target checks and the ignore mask applied before the mean, so the mean runs over valid
pixels only (as ``F.cross_entropy``'s ``ignore_index`` does; with class weights the mean is
weighted, again as torch defines it).
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from oculi.core.checks import check_choice, check_positive
from oculi.core.errors import ShapeError
from oculi.train.losses._common import (
    as_weights,
    binary_target,
    class_target,
    mask_ignored,
    resolve_mode,
)


class CrossEntropyLoss(nn.Module):
    """Pixel-wise softmax cross entropy for class-index targets.

    Args:
        class_weights: ``(C,)`` weights (rare classes up); the mean is weighted as in torch.
        ignore_index: target value left out of the loss and the mean.
        label_smoothing: torch's label smoothing in [0, 1).

    Shapes:
        logits ``(N, C, *spatial)``; target ``(N, *spatial)`` integer. Returns a scalar. A
        one-channel output (a binary model) gets the binary cross entropy instead.
    """

    def __init__(
        self,
        *,
        class_weights: Sequence[float] | None = None,
        ignore_index: int | None = None,
        label_smoothing: float = 0.0,
    ) -> None:
        super().__init__()
        self.class_weights = as_weights(class_weights, "class_weights")
        self.ignore_index = ignore_index
        self.label_smoothing = float(label_smoothing)

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if logits.shape[1] == 1:  # a one-channel (binary) output: softmax CE is BCE here
            return BCELoss(ignore_index=self.ignore_index)(logits, target)
        t = class_target(logits, target, self.ignore_index)
        w = self.class_weights.to(logits) if self.class_weights is not None else None
        ignore = self.ignore_index if self.ignore_index is not None else -100
        if not bool((t != ignore).any()):
            return logits.sum() * 0.0  # every pixel ignored: zero loss, gradient kept connected
        return F.cross_entropy(
            logits, t, weight=w, ignore_index=ignore, label_smoothing=self.label_smoothing
        )


class BCELoss(nn.Module):
    """Binary cross entropy with logits, for binary and multi-label masks.

    With class-index targets (multiclass mode) the target is one-hot encoded and each channel is
    a binary problem (a "one-vs-rest" BCE, how the combined IoU + Dice + BCE recipe extends to
    several classes).

    Args:
        pos_weight: weight of positive pixels (a float, or ``(C,)``), as in torch.
        class_weights: ``(C,)`` weights of the channels in the mean.
        ignore_index: target value whose pixels are left out (mean over the rest).
        mode: "auto", "binary", "multiclass" or "multilabel".
    """

    def __init__(
        self,
        *,
        pos_weight: float | Sequence[float] | None = None,
        class_weights: Sequence[float] | None = None,
        ignore_index: int | None = None,
        mode: str = "auto",
    ) -> None:
        super().__init__()
        self.pos_weight = as_weights(pos_weight, "pos_weight")
        self.class_weights = as_weights(class_weights, "class_weights")
        self.ignore_index, self.mode = ignore_index, mode

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        mode = resolve_mode(logits, target, self.mode)
        if mode == "multiclass":
            t = class_target(logits, target, self.ignore_index)
            t, valid = mask_ignored(t, self.ignore_index)
            t = F.one_hot(t, logits.shape[1]).movedim(-1, 1).to(logits)
            valid = valid.unsqueeze(1).expand_as(t)
        else:
            t = binary_target(logits, target) if mode == "binary" else target.to(logits)
            if t.shape != logits.shape:
                raise ShapeError(
                    f"target: expected shape {tuple(logits.shape)}, got {tuple(t.shape)}"
                )
            t, valid = mask_ignored(t, self.ignore_index)
        view = (1, -1) + (1,) * (logits.ndim - 2)
        pw = self.pos_weight.to(logits).view(view) if self.pos_weight is not None else None
        loss = F.binary_cross_entropy_with_logits(logits, t, pos_weight=pw, reduction="none")
        v = valid.to(logits)
        if self.class_weights is not None:
            v = v * self.class_weights.to(logits).view(view)
        return (loss * v).sum() / v.sum().clamp_min(1e-7)


class FocalLoss(nn.Module):
    """Focal loss ``−α_t (1 − p_t)^γ log p_t`` (Lin et al. 2017), mean over valid pixels.

    Binary / multilabel: sigmoid per channel, ``α_t = α`` for positives and ``1 − α`` for negatives
    (no α when ``alpha`` is None). Multiclass: softmax, ``p_t`` the probability of the true class
    and ``class_weights`` as α per class. ``gamma = 0`` and no α gives plain (B)CE.
    """

    def __init__(
        self,
        gamma: float = 2.0,
        alpha: float | None = None,
        *,
        class_weights: Sequence[float] | None = None,
        ignore_index: int | None = None,
        mode: str = "auto",
    ) -> None:
        super().__init__()
        check_positive(gamma, "gamma", allow_zero=True)
        self.gamma, self.alpha = float(gamma), alpha
        self.class_weights = as_weights(class_weights, "class_weights")
        self.ignore_index, self.mode = ignore_index, mode

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        mode = resolve_mode(logits, target, self.mode)
        if mode == "multiclass":
            t = class_target(logits, target, self.ignore_index)
            t, valid = mask_ignored(t, self.ignore_index)
            logp = logits.log_softmax(1).gather(1, t.unsqueeze(1)).squeeze(1)
            loss = -((1 - logp.exp()) ** self.gamma) * logp
            if self.class_weights is not None:
                loss = loss * self.class_weights.to(logits)[t]
        else:
            t = binary_target(logits, target) if mode == "binary" else target.to(logits)
            t, valid = mask_ignored(t, self.ignore_index)
            ce = F.binary_cross_entropy_with_logits(logits, t, reduction="none")
            p = logits.sigmoid()
            pt = p * t + (1 - p) * (1 - t)
            loss = ce * (1 - pt) ** self.gamma
            if self.alpha is not None:
                loss = loss * (self.alpha * t + (1 - self.alpha) * (1 - t))
        v = valid.to(logits)
        return (loss * v).sum() / v.sum().clamp_min(1e-7)


class PixelLoss(nn.Module):
    """Mean squared (``"mse"``) or absolute (``"l1"``) error between images, optionally masked.

    Shapes:
        prediction and target ``(N, C, H, W)`` float (same range); mask ``(N, 1, H, W)`` or
        ``(N, C, H, W)`` in {0, 1} (optional). Returns a scalar: the mean over masked elements.
    """

    def __init__(self, kind: str = "mse") -> None:
        super().__init__()
        self.kind = check_choice(kind, ("mse", "l1"), "kind")

    def forward(
        self, prediction: torch.Tensor, target: torch.Tensor, mask: torch.Tensor | None = None
    ) -> torch.Tensor:
        if prediction.shape != target.shape:
            raise ShapeError(
                f"prediction and target: expected the same shape, got {tuple(prediction.shape)} "
                f"and {tuple(target.shape)}"
            )
        diff = prediction - target
        err = diff * diff if self.kind == "mse" else diff.abs()
        if mask is None:
            return err.mean()
        m = mask.to(err).expand_as(err)
        return (err * m).sum() / m.sum().clamp_min(1e-7)


class MSELoss(PixelLoss):
    """Pixel mean squared error (see :class:`PixelLoss`)."""

    def __init__(self) -> None:
        super().__init__("mse")


class L1Loss(PixelLoss):
    """Pixel mean absolute error (see :class:`PixelLoss`)."""

    def __init__(self) -> None:
        super().__init__("l1")
