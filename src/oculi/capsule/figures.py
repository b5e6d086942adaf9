"""Pictures of a trained CapsNet: input digits beside their reconstructions, and the
perturbation strips of the paper's Fig. 4 (what each dimension of a class capsule encodes:
one dimension moved from ``-span`` to ``+span`` per row, decoded)."""

from __future__ import annotations

import numpy as np
import torch

from oculi.capsule.layers import mask_capsules


def _tiles(cells: np.ndarray, gap: int = 1) -> np.ndarray:
    """``(rows, cols, h, w)`` float in [0, 1] -> one ``uint8`` image with ``gap``-pixel grey
    separators."""
    from oculi.preprocess import montage

    rows, cols, h, w = cells.shape
    images = np.rint(np.clip(cells, 0, 1) * 255).astype(np.uint8).reshape(rows * cols, h, w)
    return montage(images, cols, gap, fill=89)


@torch.no_grad()
def reconstructions(model: torch.nn.Module, x: torch.Tensor) -> np.ndarray:
    """Inputs (top row) and reconstructions from the predicted class capsule (bottom row).

    Args:
        model: a :class:`~oculi.capsule.nets.CapsNet`.
        x: float32 ``(B, 1, 28, 28)`` in [0, 1].

    Returns:
        ``uint8`` image ``(2 * 29 - 1, B * 29 - 1)``.
    """
    model.eval()
    _, recon = model(x)
    cells = torch.stack([x[:, 0], recon[:, 0]]).cpu().numpy()
    return _tiles(cells)


@torch.no_grad()
def perturbation_strips(model: torch.nn.Module, x: torch.Tensor, *, steps: int = 11,
                        span: float = 0.25) -> np.ndarray:
    """The decoded images of one digit's predicted class capsule with one dimension changed by
    each of ``steps`` values from ``-span`` to ``span`` (paper: 11 steps of 0.05).

    Args:
        model: a :class:`~oculi.capsule.nets.CapsNet`.
        x: float32 ``(1, 1, 28, 28)`` in [0, 1].

    Returns:
        ``uint8`` image: one row per capsule dimension, one column per value.
    """
    model.eval()
    v, _ = model.capsules(x)
    k = int(v.norm(dim=-1).argmax(1)[0])
    dims = v.shape[-1]
    deltas = torch.linspace(-span, span, steps, device=x.device)
    tweaked = v.repeat(dims * steps, 1, 1)
    for d in range(dims):
        tweaked[d * steps:(d + 1) * steps, k, d] += deltas
    labels = torch.full((dims * steps,), k, dtype=torch.long, device=x.device)
    images = model.decode(mask_capsules(tweaked, labels))[:, 0].cpu().numpy()
    return _tiles(images.reshape(dims, steps, *images.shape[-2:]))


__all__ = ["perturbation_strips", "reconstructions"]
