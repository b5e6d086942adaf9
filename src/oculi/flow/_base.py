"""The flow-method registry and the input checks shared by every method."""

from __future__ import annotations

import numpy as np

from oculi.core.checks import check_image, check_same_size
from oculi.core.errors import DTypeError, ShapeError
from oculi.core.registry import Registry

#: Dense optical-flow methods: ``fn(image1, image2, **params) -> HxWx2 float32 flow``.
methods: Registry = Registry("flow method")


def check_pair(image1: np.ndarray, image2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate two frames: same size and channel count, uint8/uint16 or float in [0, 1].

    Returns:
        Both frames unchanged.

    Raises:
        ShapeError: different sizes, a grayscale and a colour frame, or frames below 2x2 pixels.
        DTypeError, ValueRangeError: unsupported dtype, a float frame outside [0, 1] or with
            NaN/inf values.
    """
    check_image(image1, "image1", min_size=2, finite=True)
    check_image(image2, "image2", min_size=2, finite=True)
    check_same_size(image1, image2)
    return image1, image2


def gray_pair(image1: np.ndarray, image2: np.ndarray, *, scale: float = 255.0
              ) -> tuple[np.ndarray, np.ndarray]:
    """Check a pair and return both as HxW float32 grey images on the range ``[0, scale]``."""
    from oculi.core.convert import ensure_float01, to_gray

    check_pair(image1, image2)
    out = []
    for im, name in ((image1, "image1"), (image2, "image2")):
        g = ensure_float01(to_gray(im, name), name)
        out.append(np.ascontiguousarray(g * np.float32(scale), dtype=np.float32))
    return out[0], out[1]


def uint8_gray_pair(image1: np.ndarray, image2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check a pair and return both as HxW uint8 grey images (what OpenCV's flow methods take)."""
    from oculi.core.convert import ensure_uint8, to_gray

    check_pair(image1, image2)
    return (np.ascontiguousarray(ensure_uint8(to_gray(image1, "image1"), "image1")),
            np.ascontiguousarray(ensure_uint8(to_gray(image2, "image2"), "image2")))


def check_flow(flow: object, name: str = "flow", *, shape: tuple[int, int] | None = None
               ) -> np.ndarray:
    """Validate an HxWx2 float flow field (optionally of the given ``(height, width)``).

    Returns:
        The flow as float32 (a copy only when the dtype differs).

    Raises:
        DTypeError: not a numpy array or not floating point.
        ShapeError: not HxWx2, or a size different from ``shape``.
    """
    if not isinstance(flow, np.ndarray):
        raise DTypeError(f"{name}: expected a numpy array, got {type(flow).__name__}")
    if flow.ndim != 3 or flow.shape[2] != 2:
        raise ShapeError(
            f"{name}: expected an HxWx2 array of (u, v) displacements, got shape {flow.shape}"
        )
    if flow.dtype.kind != "f":
        raise DTypeError(f"{name}: expected float32 or float64, got {flow.dtype.name}")
    if shape is not None and tuple(flow.shape[:2]) != tuple(shape):
        raise ShapeError(
            f"{name}: expected {shape[0]}x{shape[1]} to match the image, got "
            f"{flow.shape[0]}x{flow.shape[1]}"
        )
    return flow.astype(np.float32, copy=False)
