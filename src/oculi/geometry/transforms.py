"""Applying 3x3 transforms: points, errors against a reference, and image warps.

    >>> import numpy as np
    >>> H = np.array([[2.0, 0, 1], [0, 2, 0], [0, 0, 1]])
    >>> transform_points(H, np.array([[1.0, 1.0]])).tolist()
    [[3.0, 2.0]]
    >>> corner_error(H, H, (10, 20))
    0.0
"""

from __future__ import annotations

from typing import Any

import numpy as np

from oculi.core.checks import check_image
from oculi.core.errors import DTypeError, ShapeError


def as_points(xy: Any, name: str = "points") -> np.ndarray:
    """``(N, 2)`` float64 copy of ``xy``; raises :class:`ShapeError` on another shape and
    :class:`DTypeError` on non-numeric input (strings, bytes, objects)."""
    if isinstance(xy, (str, bytes)):
        raise DTypeError(f"{name}: expected an (N, 2) array of (x, y) points, got "
                         f"{type(xy).__name__}")
    try:
        arr = np.asarray(xy, np.float64)
    except (TypeError, ValueError) as err:
        raise DTypeError(f"{name}: expected numeric (x, y) points ({err})") from None
    if arr.ndim == 3 and arr.shape[1] == 1:  # OpenCV's (N, 1, 2)
        arr = arr[:, 0]
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise ShapeError(f"{name}: expected an (N, 2) array of (x, y) points, got {arr.shape}")
    return arr


def as_matrix(h: Any, name: str = "H") -> np.ndarray:
    """``(3, 3)`` float64 copy; a ``(2, 3)`` affine gets the row ``[0, 0, 1]``."""
    m = np.asarray(h, np.float64)
    if m.shape == (2, 3):
        m = np.vstack([m, [0.0, 0.0, 1.0]])
    if m.shape != (3, 3):
        raise ShapeError(f"{name}: expected a 3x3 (or 2x3 affine) matrix, got shape {m.shape}")
    return m


def transform_points(h: Any, xy: Any) -> np.ndarray:
    """Map ``(N, 2)`` points through a ``3x3`` matrix (with the perspective division).

    Returns:
        ``(N, 2)`` float64; points mapped to infinity give ``inf``/``nan``.
    """
    m = as_matrix(h)
    p = as_points(xy)
    q = p @ m[:, :2].T + m[:, 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        return q[:, :2] / q[:, 2:3]


def reprojection_errors(h: Any, xy1: Any, xy2: Any) -> np.ndarray:
    """One-sided transfer errors ``|H x1 - x2|`` in pixels, ``(N,)`` float64 (as OpenCV scores)."""
    return np.linalg.norm(transform_points(h, xy1) - as_points(xy2, "xy2"), axis=1)


def symmetric_errors(h: Any, xy1: Any, xy2: Any) -> np.ndarray:
    """Symmetric transfer errors: ``sqrt((|H x1 - x2|^2 + |H^-1 x2 - x1|^2) / 2)``, ``(N,)``."""
    m = as_matrix(h)
    fwd = reprojection_errors(m, xy1, xy2)
    bwd = reprojection_errors(np.linalg.inv(m), xy2, xy1)
    return np.sqrt((fwd**2 + bwd**2) / 2)


def image_corners(size: tuple[int, int]) -> np.ndarray:
    """The 4 corner pixel centres ``(x, y)`` of an image of ``size = (height, width)``."""
    h, w = size
    return np.array([[0, 0], [w - 1, 0], [w - 1, h - 1], [0, h - 1]], np.float64)


def corner_error(estimate: Any, truth: Any, size: tuple[int, int]) -> float:
    """Mean distance in pixels between the image-1 corners mapped by ``estimate`` and ``truth``.

    Args:
        estimate: ``3x3`` estimate or ``None`` (gives ``inf``).
        truth: ``3x3`` ground truth.
        size: ``(height, width)`` of the first image.
    """
    if estimate is None:
        return float("inf")
    c = image_corners(size)
    err = np.linalg.norm(transform_points(estimate, c) - transform_points(truth, c), axis=1)
    return float(err.mean()) if np.all(np.isfinite(err)) else float("inf")


def warp_image(
    image: np.ndarray,
    h: Any,
    size: tuple[int, int],
    *,
    interpolation: str = "linear",
    border_value: float = 0,
) -> np.ndarray:
    """Warp ``image`` by the homography ``h`` (image -> output) into an output of ``size``.

    Args:
        image: HW or HWC uint8/float32 image.
        h: ``3x3`` matrix mapping input pixels ``[x, y, 1]`` to output pixels.
        size: ``(height, width)`` of the output.
        interpolation: ``"nearest"``, ``"linear"`` or ``"cubic"``.
        border_value: value outside the source.

    Returns:
        The warped image, same dtype and channels as ``image``.
    """
    import cv2

    check_image(image)
    flags = {"nearest": cv2.INTER_NEAREST, "linear": cv2.INTER_LINEAR, "cubic": cv2.INTER_CUBIC}
    m = as_matrix(h)
    return cv2.warpPerspective(
        np.ascontiguousarray(image), m, (int(size[1]), int(size[0])),
        flags=flags[interpolation], borderMode=cv2.BORDER_CONSTANT, borderValue=border_value,
    )
