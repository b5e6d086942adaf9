"""Shared input handling for the segmentation losses: modes, one-hot targets, ignore masks.

Every loss takes raw model outputs (logits) ``(N, C, *spatial)`` — 2-D ``(N, C, H, W)`` or 3-D
``(N, C, D, H, W)`` — and a target:

* ``"binary"``: ``C == 1``; target ``(N, *spatial)`` or ``(N, 1, *spatial)`` with values 0/1
  (float or integer) and optionally ``ignore_index``.
* ``"multiclass"``: ``C >= 2``; target ``(N, *spatial)`` integer class indices in ``[0, C)`` or
  ``ignore_index``.
* ``"multilabel"``: target ``(N, C, *spatial)`` 0/1 per channel.
* ``"auto"`` (default): binary when ``C == 1``, multilabel when the target has the logits' shape and
  is floating point, multiclass otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from oculi.core.checks import check_choice
from oculi.core.errors import DTypeError, ShapeError, ValueRangeError

MODES = ("auto", "binary", "multiclass", "multilabel")


@dataclass
class Prepared:
    """Flattened probabilities, one-hot target and validity mask, all ``(N, C, P)`` float."""

    probs: torch.Tensor
    onehot: torch.Tensor
    valid: torch.Tensor  # (N, 1, P)
    mode: str


def resolve_mode(logits: torch.Tensor, target: torch.Tensor, mode: str) -> str:
    """The concrete mode for ``mode="auto"`` (see the module docstring)."""
    check_choice(mode, MODES, "mode")
    if not isinstance(logits, torch.Tensor) or not isinstance(target, torch.Tensor):
        raise DTypeError("logits and target: expected torch tensors")
    if logits.ndim < 3:
        raise ShapeError(f"logits: expected (N, C, *spatial), got shape {tuple(logits.shape)}")
    if mode != "auto":
        return mode
    if logits.shape[1] == 1:
        return "binary"
    if target.shape == logits.shape and target.is_floating_point():
        return "multilabel"
    return "multiclass"


def _check_spatial(logits: torch.Tensor, target: torch.Tensor, with_channel: bool) -> None:
    want = tuple(logits.shape) if with_channel else (logits.shape[0], *logits.shape[2:])
    if tuple(target.shape) != want:
        raise ShapeError(
            f"target: expected shape {want} for logits {tuple(logits.shape)}, "
            f"got {tuple(target.shape)} — resize the mask to the prediction"
        )


def binary_target(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """Target as ``(N, 1, *spatial)`` float (ignore_index values kept)."""
    if target.ndim == logits.ndim - 1:
        target = target.unsqueeze(1)
    _check_spatial(logits, target, with_channel=True)
    return target.to(logits.dtype)


def class_target(
    logits: torch.Tensor, target: torch.Tensor, ignore_index: int | None
) -> torch.Tensor:
    """Target as ``(N, *spatial)`` long, checked against the class count."""
    if target.ndim == logits.ndim and target.shape[1] == 1:
        target = target[:, 0]
    _check_spatial(logits, target, with_channel=False)
    if target.is_floating_point():
        raise DTypeError(f"target: expected integer class indices, got {target.dtype}")
    target = target.long()
    c = logits.shape[1]
    bad = (target < 0) | (target >= c)
    if ignore_index is not None:
        bad &= target != ignore_index
    if bool(bad.any()):
        values = torch.unique(target[bad])[:5].tolist()
        raise ValueRangeError(
            f"target: class indices must lie in [0, {c - 1}]"
            + (f" or equal ignore_index={ignore_index}" if ignore_index is not None else "")
            + f", found {values} — declare more classes or set ignore_index"
        )
    return target


def prepare(
    logits: torch.Tensor,
    target: torch.Tensor,
    mode: str = "auto",
    ignore_index: int | None = None,
    from_logits: bool = True,
) -> Prepared:
    """Probabilities, one-hot target and valid-pixel mask, flattened to ``(N, C, P)``."""
    mode = resolve_mode(logits, target, mode)
    n, c = logits.shape[:2]
    if mode == "multiclass":
        t = class_target(logits, target, ignore_index)
        valid = (
            (t != ignore_index)
            if ignore_index is not None
            else torch.ones_like(t, dtype=torch.bool)
        )
        t = torch.where(valid, t, torch.zeros_like(t))
        probs = logits.softmax(1) if from_logits else logits
        onehot = F.one_hot(t.reshape(n, -1), c).permute(0, 2, 1).to(logits.dtype)
        valid = valid.reshape(n, 1, -1).to(logits.dtype)
    else:
        if mode == "binary":
            if c != 1:
                raise ShapeError(f"logits: binary mode expects 1 channel, got {c}")
            t = binary_target(logits, target)
        else:
            _check_spatial(logits, target, with_channel=True)
            t = target.to(logits.dtype)
        valid = (
            (t != ignore_index)
            if ignore_index is not None
            else torch.ones_like(t, dtype=torch.bool)
        )
        t = torch.where(valid, t, torch.zeros_like(t))
        if not bool(((t >= 0) & (t <= 1)).all()):
            raise ValueRangeError(
                "target: binary/multilabel targets must lie in [0, 1] (or equal ignore_index); "
                f"got max {float(t.max())} — map 255 to 1 when reading 0/255 masks"
            )
        probs = logits.sigmoid() if from_logits else logits
        onehot = t.reshape(n, c, -1)
        valid = valid.reshape(n, c, -1).to(logits.dtype)
        if c == 1:
            valid = valid.reshape(n, 1, -1)
    return Prepared(probs.reshape(n, c, -1), onehot, valid, mode)


def mask_ignored(t: torch.Tensor, ignore_index: int | None) -> tuple[torch.Tensor, torch.Tensor]:
    """``(t with ignored entries set to 0, bool mask of the entries that count)``."""
    if ignore_index is None:
        return t, torch.ones_like(t, dtype=torch.bool)
    valid = t != ignore_index
    return torch.where(valid, t, torch.zeros_like(t)), valid


def reduce_weighted(per_class: torch.Tensor, weights: torch.Tensor | None) -> torch.Tensor:
    """Mean over the last axis, weighted when ``weights`` (same length) is given."""
    if weights is None:
        return per_class.mean(-1)
    w = weights.to(per_class)
    return (per_class * w).sum(-1) / w.sum()


def as_weights(values, name: str) -> torch.Tensor | None:
    """A float tensor of class weights (or None)."""
    if values is None:
        return None
    w = torch.as_tensor(values, dtype=torch.float32).flatten()
    if bool((w < 0).any()) or float(w.sum()) <= 0:
        raise ValueRangeError(
            f"{name}: expected non-negative weights with a positive sum, got {w.tolist()}"
        )
    return w
