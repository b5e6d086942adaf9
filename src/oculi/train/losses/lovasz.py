"""Lovász losses (Berman et al., CVPR 2018): a convex surrogate of the Jaccard loss.

Binary: the Lovász hinge on logits; multiclass: the Lovász-softmax on probabilities. Written from
the paper's algorithm (sort the errors, weight them by the gradient of the Jaccard loss's Lovász
extension); matches ``segmentation_models_pytorch.losses.LovaszLoss``.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from oculi.train.losses._common import binary_target, class_target, resolve_mode


def lovasz_grad(gt_sorted: torch.Tensor) -> torch.Tensor:
    """Gradient of the Lovász extension of the Jaccard loss w.r.t. sorted errors (``(P,)``)."""
    gts = gt_sorted.sum()
    intersection = gts - gt_sorted.cumsum(0)
    union = gts + (1 - gt_sorted).cumsum(0)
    jaccard = 1.0 - intersection / union
    if gt_sorted.numel() > 1:
        jaccard[1:] = jaccard[1:] - jaccard[:-1]
    return jaccard


def lovasz_hinge_flat(logits: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
    """Lovász hinge of ``(P,)`` logits against ``(P,)`` 0/1 labels."""
    if logits.numel() == 0:
        return logits.sum() * 0.0
    signs = 2.0 * labels - 1.0
    errors = 1.0 - logits * signs
    errors_sorted, perm = torch.sort(errors, descending=True)
    grad = lovasz_grad(labels[perm])
    return torch.dot(F.relu(errors_sorted), grad)


def lovasz_softmax_flat(
    probs: torch.Tensor, labels: torch.Tensor, present_only: bool = True
) -> torch.Tensor:
    """Lovász-softmax of ``(P, C)`` probabilities against ``(P,)`` labels, mean over classes."""
    if probs.numel() == 0:
        return probs.sum() * 0.0
    losses = []
    for c in range(probs.shape[1]):
        fg = (labels == c).to(probs)
        if present_only and fg.sum() == 0:
            continue
        errors = (fg - probs[:, c]).abs()
        errors_sorted, perm = torch.sort(errors, descending=True)
        losses.append(torch.dot(errors_sorted, lovasz_grad(fg[perm])))
    if not losses:
        return probs.sum() * 0.0
    return torch.stack(losses).mean()


class LovaszLoss(nn.Module):
    """Lovász hinge (binary) or Lovász-softmax (multiclass).

    Args:
        mode: "auto", "binary" or "multiclass".
        per_image: loss per image, then the mean (the paper's choice for binary); else per batch.
        ignore_index: target value whose pixels are dropped.
        present_only: multiclass: average only over classes present in the target.
    """

    def __init__(
        self,
        *,
        mode: str = "auto",
        per_image: bool = False,
        ignore_index: int | None = None,
        present_only: bool = True,
    ) -> None:
        super().__init__()
        self.mode, self.per_image = mode, per_image
        self.ignore_index, self.present_only = ignore_index, present_only

    def forward(self, logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        mode = resolve_mode(logits, target, self.mode)
        n = logits.shape[0]
        if mode == "multiclass":
            t = class_target(logits, target, self.ignore_index).reshape(n, -1)
            probs = logits.softmax(1).reshape(n, logits.shape[1], -1).transpose(1, 2)
            pairs = (
                [(probs[i], t[i]) for i in range(n)]
                if self.per_image
                else [(probs.reshape(-1, probs.shape[-1]), t.reshape(-1))]
            )
            out = []
            for p, lab in pairs:
                keep = lab != self.ignore_index if self.ignore_index is not None else slice(None)
                out.append(lovasz_softmax_flat(p[keep], lab[keep], self.present_only))
            return torch.stack(out).mean()
        if mode != "binary":
            raise ValueError("LovaszLoss: mode must be binary or multiclass")
        t = binary_target(logits, target).reshape(n, -1)
        x = logits.reshape(n, -1)
        pairs = (
            [(x[i], t[i]) for i in range(n)] if self.per_image else [(x.reshape(-1), t.reshape(-1))]
        )
        out = []
        for lg, lab in pairs:
            keep = lab != self.ignore_index if self.ignore_index is not None else slice(None)
            out.append(lovasz_hinge_flat(lg[keep], lab[keep]))
        return torch.stack(out).mean()
