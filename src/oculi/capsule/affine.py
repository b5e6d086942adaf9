"""An affine-distorted copy of a 28x28 test set, for the robustness comparison of the CapsNet
paper (Sabour et al. 2017 tested on affNIST, which is not available offline; this builds a
comparable set from any digits, deterministically from a seed).

Each image gets its own transform about the image centre, drawn uniformly and independently:
rotation in ``[-rotation, rotation]`` degrees, x-shear angle in ``[-shear, shear]`` degrees,
and a scale per axis in ``scale`` (no translation, so the digit stays on the 28x28 canvas
as far as the scale allows). Bilinear resampling, black (0) outside.

    >>> import numpy as np
    >>> digits = np.zeros((2, 28, 28), np.uint8); digits[:, 10:18, 12:16] = 255
    >>> a = affine_digits(digits, seed=1)
    >>> a.shape, a.dtype, bool((a == affine_digits(digits, seed=1)).all())
    ((2, 28, 28), dtype('uint8'), True)
"""

from __future__ import annotations

import numpy as np

from oculi.core.checks import check_positive
from oculi.core.errors import ParameterError, ShapeError

#: the default distortion ranges: rotation (degrees), shear (degrees), scale per axis
ROTATION_DEG, SHEAR_DEG, SCALE_RANGE = 20.0, 20.0, (0.8, 1.2)


def affine_matrices(n: int, side: int = 28, *, seed: int = 0, rotation: float = ROTATION_DEG,
                    shear: float = SHEAR_DEG,
                    scale: tuple[float, float] = SCALE_RANGE) -> np.ndarray:
    """``n`` random 2x3 affine matrices (float64 ``(n, 2, 3)``) mapping source pixel ``(x, y)``
    to the distorted image, about the centre of a ``side`` x ``side`` image (see the module doc
    for the ranges). Deterministic for a ``seed``."""
    check_positive(rotation, "rotation", allow_zero=True)
    check_positive(shear, "shear", allow_zero=True)
    lo, hi = (float(s) for s in scale)
    if not 0 < lo <= hi:
        raise ParameterError(f"scale: expected (low, high) with 0 < low <= high, got {scale}")
    if shear >= 90:
        raise ParameterError(f"shear: expected degrees below 90, got {shear}")
    rng = np.random.default_rng(seed)
    rot = np.deg2rad(rng.uniform(-rotation, rotation, n))
    sh = np.tan(np.deg2rad(rng.uniform(-shear, shear, n)))
    sx, sy = rng.uniform(lo, hi, n), rng.uniform(lo, hi, n)
    c = (side - 1) / 2.0
    out = np.empty((n, 2, 3))
    for k in range(n):
        r = np.array([[np.cos(rot[k]), -np.sin(rot[k])], [np.sin(rot[k]), np.cos(rot[k])]])
        a = r @ np.array([[1.0, sh[k]], [0.0, 1.0]]) @ np.diag([sx[k], sy[k]])
        out[k, :, :2] = a
        out[k, :, 2] = c - a @ np.array([c, c])
    return out


def affine_digits(images: np.ndarray, *, seed: int = 0, rotation: float = ROTATION_DEG,
                  shear: float = SHEAR_DEG,
                  scale: tuple[float, float] = SCALE_RANGE) -> np.ndarray:
    """The affine-distorted copy of ``images`` (one random transform each, module doc).

    Args:
        images: ``uint8`` ``(N, H, W)`` gray images (ink bright on black).
        seed: the transforms' seed (the same seed gives the same set).
        rotation: largest rotation in degrees.
        shear: largest x-shear angle in degrees (< 90).
        scale: ``(low, high)`` range of the scale of each axis.

    Returns:
        ``uint8`` ``(N, H, W)``.

    Raises:
        ShapeError: ``images`` is not ``(N, H, W)``.
        ParameterError: a range out of bounds.
    """
    import cv2

    images = np.asarray(images)
    if images.ndim != 3:
        raise ShapeError(f"images: expected (N, H, W) gray images, got shape {images.shape}")
    n, h, w = images.shape
    mats = affine_matrices(n, max(h, w), seed=seed, rotation=rotation, shear=shear, scale=scale)
    src = images.astype(np.uint8, copy=False)
    out = np.empty_like(src)
    for k in range(n):
        out[k] = cv2.warpAffine(src[k], mats[k], (w, h), flags=cv2.INTER_LINEAR,
                                borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return out


__all__ = ["ROTATION_DEG", "SCALE_RANGE", "SHEAR_DEG", "affine_digits", "affine_matrices"]
