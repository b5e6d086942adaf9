"""Metric-learning losses on a batch of embeddings with class labels: the triplet loss with
three ways of mining triplets from a P x K batch, and the contrastive loss.

Embeddings ``(N, D)`` float are L2-normalised here (unit vectors, so Euclidean distances lie
in [0, 2]); labels ``(N,)`` int. A positive of an anchor shares its label (never the anchor
itself), a negative does not.

* ``batch_all``: every valid (anchor, positive, negative) triplet.
* ``batch_hard``: per anchor its farthest positive and nearest negative (Hermans et al. 2017).
* ``semi_hard``: triplets whose negative is farther than the positive but within the margin,
  d(a,p) < d(a,n) <= d(a,p) + margin (Schroff et al. 2015, FaceNet).

The triplet loss is max(d(a,p) - d(a,n) + margin, 0); the contrastive loss is
max(d - pos_margin, 0) over positive pairs plus max(neg_margin - d, 0) over negative pairs.
``reduction="nonzero"`` averages over the terms with a positive loss (the contrastive loss does
so for positive and negative pairs separately and adds the two means), ``"mean"`` over all.
"""

from __future__ import annotations

from collections.abc import Callable

import torch
import torch.nn.functional as F

from oculi.core.checks import check_choice
from oculi.core.errors import ShapeError
from oculi.core.registry import Registry

Triplets = tuple[torch.Tensor, torch.Tensor, torch.Tensor]


def pairwise_distances(embeddings: torch.Tensor, *, squared: bool = False) -> torch.Tensor:
    """Euclidean distances ``(N, N)`` between the L2-normalised rows of ``embeddings (N, D)``.

    The square root has a finite gradient at zero distance (the diagonal).
    """
    e = F.normalize(embeddings, dim=1)
    d2 = (e.square().sum(1, keepdim=True) + e.square().sum(1)[None] - 2 * e @ e.T).clamp_min(0)
    d2 = d2.masked_fill(torch.eye(len(e), dtype=torch.bool, device=e.device), 0.0)
    if squared:
        return d2
    zero = d2 <= 1e-12
    return torch.where(zero, torch.zeros_like(d2), d2.clamp_min(1e-12).sqrt())


def _masks(labels: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    same = labels[:, None] == labels[None, :]
    eye = torch.eye(len(labels), dtype=torch.bool, device=labels.device)
    return same & ~eye, ~same


def batch_all_triplets(dist: torch.Tensor, labels: torch.Tensor, margin: float = 0.0) -> Triplets:
    """Every (anchor, positive, negative) index triplet of the batch (``dist`` unused)."""
    pos, neg = _masks(labels)
    valid = pos[:, :, None] & neg[:, None, :]
    a, p, n = valid.nonzero(as_tuple=True)
    return a, p, n


def batch_hard_triplets(dist: torch.Tensor, labels: torch.Tensor,
                        margin: float = 0.0) -> Triplets:
    """Per anchor that has a positive and a negative: its farthest positive and nearest
    negative under ``dist (N, N)``."""
    pos, neg = _masks(labels)
    keep = pos.any(1) & neg.any(1)
    hardest_pos = torch.where(pos, dist, torch.full_like(dist, -torch.inf)).argmax(1)
    hardest_neg = torch.where(neg, dist, torch.full_like(dist, torch.inf)).argmin(1)
    a = keep.nonzero(as_tuple=True)[0]
    return a, hardest_pos[a], hardest_neg[a]


def semi_hard_triplets(dist: torch.Tensor, labels: torch.Tensor, margin: float = 0.2) -> Triplets:
    """Triplets with d(a,p) < d(a,n) <= d(a,p) + ``margin`` (all of them, not one per pair)."""
    a, p, n = batch_all_triplets(dist, labels)
    gap = dist[a, n] - dist[a, p]
    keep = (gap > 0) & (gap <= margin)
    return a[keep], p[keep], n[keep]


#: triplet mining strategies: ``fn(dist (N, N), labels (N,), margin) -> (a, p, n)`` index tensors
miners: Registry[Callable[..., Triplets]] = Registry("triplet mining")
miners.register("batch_all", batch_all_triplets, help="every valid triplet")
miners.register("batch_hard", batch_hard_triplets,
                help="farthest positive and nearest negative per anchor (Hermans et al. 2017)")
miners.register("semi_hard", semi_hard_triplets,
                help="negatives beyond the positive but within the margin (Schroff et al. 2015)")


def _reduce(losses: torch.Tensor, reduction: str) -> torch.Tensor:
    if reduction == "mean":
        return losses.mean() if losses.numel() else losses.sum()
    active = (losses > 0).sum()
    return losses.sum() / active if active > 0 else losses.sum() * 0


def _check(embeddings: torch.Tensor, labels: torch.Tensor) -> None:
    if embeddings.ndim != 2 or labels.ndim != 1 or len(labels) != len(embeddings):
        raise ShapeError(f"embeddings/labels: expected (N, D) and (N,), got "
                         f"{tuple(embeddings.shape)} and {tuple(labels.shape)}")


def triplet_loss(embeddings: torch.Tensor, labels: torch.Tensor, *, margin: float = 0.2,
                 mining: str = "batch_all", squared: bool = False,
                 reduction: str = "nonzero") -> tuple[torch.Tensor, dict[str, float]]:
    """The triplet loss over the triplets ``mining`` picks.

    Args:
        embeddings: ``(N, D)`` float (normalised here).
        labels: ``(N,)`` int class labels.
        margin: the margin (same units as the distances).
        mining: a :data:`miners` name.
        squared: squared Euclidean distances (mining and loss).
        reduction: ``nonzero`` or ``mean`` (see the module doc).

    Returns:
        The scalar loss (zero with a graph when nothing was mined) and statistics:
        ``triplets`` (mined), ``active`` (fraction with a positive loss).
    """
    _check(embeddings, labels)
    check_choice(reduction, ("nonzero", "mean"), "reduction")
    dist = pairwise_distances(embeddings, squared=squared)
    a, p, n = miners.get(mining)(dist.detach(), labels, margin)
    losses = F.relu(dist[a, p] - dist[a, n] + margin)
    active = float((losses > 0).float().mean()) if losses.numel() else 0.0
    return _reduce(losses, reduction), {"triplets": float(len(a)), "active": active}


def contrastive_loss(embeddings: torch.Tensor, labels: torch.Tensor, *, pos_margin: float = 0.0,
                     neg_margin: float = 0.5,
                     reduction: str = "nonzero") -> tuple[torch.Tensor, dict[str, float]]:
    """The contrastive loss over every ordered pair (i, j), i != j, of the batch.

    Args:
        embeddings: ``(N, D)`` float (normalised here).
        labels: ``(N,)`` int class labels.
        pos_margin: positive pairs closer than this cost nothing.
        neg_margin: negative pairs farther than this cost nothing.
        reduction: ``nonzero`` or ``mean``, applied to positive and negative pairs separately.

    Returns:
        The scalar loss and statistics ``active`` (fraction of pairs with a positive loss).
    """
    _check(embeddings, labels)
    check_choice(reduction, ("nonzero", "mean"), "reduction")
    dist = pairwise_distances(embeddings)
    pos, neg = _masks(labels)
    pos_losses = F.relu(dist[pos] - pos_margin)
    neg_losses = F.relu(neg_margin - dist[neg])
    loss = _reduce(pos_losses, reduction) + _reduce(neg_losses, reduction)
    both = torch.cat([pos_losses, neg_losses])
    active = float((both > 0).float().mean()) if both.numel() else 0.0
    return loss, {"active": active}


__all__ = ["batch_all_triplets", "batch_hard_triplets", "contrastive_loss", "miners",
           "pairwise_distances", "semi_hard_triplets", "triplet_loss"]
