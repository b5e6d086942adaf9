"""Training-time distortions of digit batches beyond the CapsNet paper's shifts: a small random
affine transform (rotation, x-shear, scale per axis, about the image centre, drawn as
:func:`oculi.capsule.affine.affine_matrices` draws the affine test copy) and elastic distortion
(Simard, Steinkraus & Platt 2003: a per-pixel random displacement field, uniform in [-1, 1],
smoothed by a Gaussian of ``sigma`` pixels and scaled by ``alpha`` pixels). Both are one
bilinear resampling of the batch (zeros enter at the borders), seeded by a ``torch.Generator``
so that a resumed run draws the same distortions.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from torch.nn import functional as F

from oculi.core.errors import ShapeError


def warp(x: torch.Tensor, matrices: torch.Tensor,
         displacement: torch.Tensor | None = None) -> torch.Tensor:
    """Resample square images ``x`` ``(B, C, S, S)`` so that source pixel ``p`` lands at
    ``A p`` (``A`` = ``matrices[:, :, :2]`` ``(B, 2, 2)``, ``(x, y)`` pixel coordinates about the
    image centre; the translation column is ignored), then move each output pixel's sample
    point by ``displacement`` ``(B, 2, S, S)`` pixels (``dx``, ``dy``; None: none). Bilinear,
    zeros outside.

    Returns:
        Tensor of ``x``'s shape and dtype.

    Raises:
        ShapeError: images that are not square.
    """
    b, _, h, w = x.shape
    if h != w:
        raise ShapeError(f"x: expected square images, got {h}x{w}")
    linear = matrices[:, :, :2].to(x.dtype)
    theta = torch.cat([torch.linalg.inv(linear), x.new_zeros(b, 2, 1)], dim=2)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)
    if displacement is not None:  # pixels -> normalised coordinates (2 / side per pixel)
        grid = grid + displacement.permute(0, 2, 3, 1).to(x.dtype) * (2.0 / w)
    return F.grid_sample(x, grid, mode="bilinear", padding_mode="zeros", align_corners=False)


def gaussian_smooth(field: torch.Tensor, sigma: float) -> torch.Tensor:
    """Separable Gaussian blur of ``field`` ``(B, C, H, W)`` with ``sigma`` pixels (kernel
    radius ``ceil(3 sigma)``, zero padding), each channel on its own."""
    radius = max(1, math.ceil(3 * sigma))
    t = torch.arange(-radius, radius + 1, dtype=field.dtype)
    k = torch.exp(-0.5 * (t / sigma) ** 2)
    k = k / k.sum()
    c = field.shape[1]
    out = F.conv2d(field, k.view(1, 1, 1, -1).repeat(c, 1, 1, 1), padding=(0, radius), groups=c)
    return F.conv2d(out, k.view(1, 1, -1, 1).repeat(c, 1, 1, 1), padding=(radius, 0), groups=c)


def elastic_field(n: int, side: int, alpha: float, sigma: float,
                  generator: torch.Generator) -> torch.Tensor:
    """``n`` elastic displacement fields float32 ``(n, 2, side, side)`` in pixels: uniform
    noise in [-1, 1] smoothed by :func:`gaussian_smooth` (``sigma``) and scaled by ``alpha``."""
    noise = torch.rand(n, 2, side, side, generator=generator) * 2 - 1
    return alpha * gaussian_smooth(noise, sigma)


def random_distortion(x: torch.Tensor, generator: torch.Generator, *, rotation: float = 0.0,
                      shear: float = 0.0, scale: float = 0.0, elastic_alpha: float = 0.0,
                      elastic_sigma: float = 4.0) -> torch.Tensor:
    """Each image of ``x`` ``(B, C, S, S)`` distorted by its own random affine transform
    (rotation in ``[-rotation, rotation]`` degrees, x-shear angle in ``[-shear, shear]``
    degrees, each axis scaled by a factor in ``[1 - scale, 1 + scale]``) and elastic field
    (``elastic_alpha`` pixels, smoothed over ``elastic_sigma`` pixels; 0: none). All zero:
    ``x`` itself. Deterministic for the generator's state.

    Returns:
        Tensor of ``x``'s shape.
    """
    from oculi.capsule.affine import affine_matrices

    if not (rotation or shear or scale or elastic_alpha):
        return x
    b, side = x.shape[0], x.shape[-1]
    seed = int(torch.randint(0, 2 ** 62, (1,), generator=generator))
    mats = affine_matrices(b, side, seed=seed, rotation=rotation, shear=shear,
                           scale=(1.0 - scale, 1.0 + scale))
    field = (elastic_field(b, side, elastic_alpha, elastic_sigma, generator)
             if elastic_alpha else None)
    return warp(x, torch.from_numpy(np.ascontiguousarray(mats)), field)


__all__ = ["elastic_field", "gaussian_smooth", "random_distortion", "warp"]
