"""The capsule pieces of CapsNet (Sabour, Frosst & Hinton, "Dynamic Routing Between Capsules",
NeurIPS 2017): the squash non-linearity, routing-by-agreement between two capsule layers, the
margin loss, and the masking that feeds one class capsule to the reconstruction decoder.

A capsule is a vector; its length (in [0, 1) after :func:`squash`) is the probability that the
entity it stands for is present, its direction the entity's pose.
"""

from __future__ import annotations

import torch
from torch import nn

#: margin loss defaults of the paper: m+, m-, lambda (down-weighting of absent classes)
MARGIN_POS, MARGIN_NEG, ABSENT_WEIGHT = 0.9, 0.1, 0.5


def squash(s: torch.Tensor, dim: int = -1, eps: float = 1e-8) -> torch.Tensor:
    """``|s|^2 / (1 + |s|^2) * s / |s|`` along ``dim``: the direction is kept, the length maps
    [0, inf) to [0, 1) (short vectors shrink to ~0, long ones approach 1).

    Args:
        s: float tensor of any shape; capsule vectors along ``dim``.
        dim: the capsule dimension.
        eps: added under the square root (a zero vector stays zero, gradients stay finite).

    Returns:
        Tensor of ``s``'s shape and dtype.
    """
    sq = (s * s).sum(dim, keepdim=True)
    return s * (sq / (1.0 + sq) / torch.sqrt(sq + eps))


def route(u_hat: torch.Tensor, iterations: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    """Dynamic routing by agreement (Procedure 1 of the paper), vectorised over the batch,
    the child and the parent capsules.

    The logits ``b`` start at 0; each iteration sets the coupling coefficients
    ``c = softmax(b)`` over the parents, the parents ``v = squash(sum_i c_ij u_hat_j|i)`` and,
    except after the last, adds the agreement ``u_hat_j|i . v_j`` to ``b``. One iteration is
    therefore uniform coupling (``c = 1 / parents``). Gradients flow through the last
    iteration's weighted sum; the earlier iterations only choose the coefficients (their
    ``u_hat`` is detached, as in common practice; it also halves the backward cost).

    Args:
        u_hat: float ``(B, children, parents, D)`` predictions of each child for each parent.
        iterations: routing iterations (>= 1; the paper uses 3).

    Returns:
        ``(v, c)``: parent capsules ``(B, parents, D)`` and the final coupling coefficients
        ``(B, children, parents)`` (each child's row sums to 1).
    """
    if iterations < 1:
        raise ValueError(f"iterations: expected >= 1, got {iterations}")
    b = u_hat.new_zeros(u_hat.shape[:3])
    detached = u_hat.detach()
    for it in range(iterations):
        c = torch.softmax(b, dim=2)
        last = it == iterations - 1
        src = u_hat if last else detached
        # sum over children: (B, P, D); broadcast products, faster than einsum on one CPU
        # thread for these small capsule dimensions (same values)
        v = squash((c.unsqueeze(-1) * src).sum(1))
        if not last:
            b = b + (detached * v.unsqueeze(1)).sum(-1)
    return v, c


def margin_loss(lengths: torch.Tensor, labels: torch.Tensor, *, m_pos: float = MARGIN_POS,
                m_neg: float = MARGIN_NEG, absent_weight: float = ABSENT_WEIGHT) -> torch.Tensor:
    """Margin loss summed over classes, averaged over the batch:
    ``T_k max(0, m+ - |v_k|)^2 + lambda (1 - T_k) max(0, |v_k| - m-)^2``.

    Args:
        lengths: float ``(B, K)`` capsule lengths (or any class scores in [0, 1]).
        labels: int64 ``(B,)`` true classes in 0..K-1.
        m_pos, m_neg, absent_weight: the margins and lambda (paper: 0.9, 0.1, 0.5).

    Returns:
        Scalar tensor.
    """
    t = nn.functional.one_hot(labels, lengths.shape[1]).to(lengths.dtype)
    present = t * torch.relu(m_pos - lengths) ** 2
    absent = absent_weight * (1.0 - t) * torch.relu(lengths - m_neg) ** 2
    return (present + absent).sum(1).mean()


def mask_capsules(v: torch.Tensor, labels: torch.Tensor | None = None) -> torch.Tensor:
    """Zero every class capsule but one: the true class (training) or, when ``labels`` is None,
    the longest capsule (the prediction, at test time).

    Args:
        v: float ``(B, K, D)`` class capsules.
        labels: int64 ``(B,)`` or None.

    Returns:
        Float ``(B, K * D)``: the flattened masked capsules, the decoder's input.
    """
    if labels is None:
        labels = v.norm(dim=-1).argmax(1)
    mask = nn.functional.one_hot(labels, v.shape[1]).to(v.dtype)
    return (v * mask.unsqueeze(-1)).flatten(1)


__all__ = ["ABSENT_WEIGHT", "MARGIN_NEG", "MARGIN_POS", "margin_loss", "mask_capsules", "route",
           "squash"]
