"""Frame pairs with exactly known flow, made by warping one image with an affine motion.

    >>> import numpy as np
    >>> image = np.random.default_rng(0).random((40, 50)).astype(np.float32)
    >>> f1, f2, flow = affine_pair(image, shift=(2.0, -1.0))
    >>> flow[0, 0].tolist()
    [2.0, -1.0]
"""

from __future__ import annotations

import math

import numpy as np

from oculi.core.checks import check_image


def affine_flow(height: int, width: int, *, rotation: float = 0.0, scale: float = 1.0,
                shift: tuple[float, float] = (0.0, 0.0)) -> tuple[np.ndarray, np.ndarray]:
    """The flow of an affine motion about the image centre, and its 2x3 matrix.

    Args:
        height, width: size of the field, pixels.
        rotation: counter-clockwise rotation on screen, degrees.
        scale: zoom factor.
        shift: ``(dx, dy)`` translation, pixels.

    Returns:
        ``(flow, matrix)``: HxWx2 float32 flow with ``flow(p) = A p - p`` and the 2x3 float64
        matrix ``A`` mapping frame-1 pixel ``(x, y, 1)`` to its frame-2 position.
    """
    c = ((width - 1) / 2, (height - 1) / 2)
    t = math.radians(rotation)
    rot = scale * np.array([[math.cos(t), math.sin(t)], [-math.sin(t), math.cos(t)]])
    off = np.array(c) - rot @ np.array(c) + np.array(shift, dtype=np.float64)
    matrix = np.hstack([rot, off[:, None]])
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float64)
    u = matrix[0, 0] * xs + matrix[0, 1] * ys + matrix[0, 2] - xs
    v = matrix[1, 0] * xs + matrix[1, 1] * ys + matrix[1, 2] - ys
    return np.dstack([u, v]).astype(np.float32), matrix


def affine_pair(image: np.ndarray, *, rotation: float = 0.0, scale: float = 1.0,
                shift: tuple[float, float] = (0.0, 0.0)
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Make frame 2 by moving ``image`` with an affine motion; return both frames and the flow.

    Frame 2 is resampled exactly (bicubic) from frame 1 through the inverse motion, so the
    returned flow is the true frame-1 -> frame-2 flow. Pixels whose motion leaves the image are
    still given their (known) flow.

    Args:
        image: HxW or HxWxC frame (uint8, or float in [0, 1]).
        rotation, scale, shift: the motion, see :func:`affine_flow`.

    Returns:
        ``(frame1, frame2, flow)``: ``image`` itself, the moved frame (same shape and dtype) and
        HxWx2 float32 flow in pixels.
    """
    import cv2

    check_image(image, "image")
    h, w = image.shape[:2]
    flow, matrix = affine_flow(h, w, rotation=rotation, scale=scale, shift=shift)
    moved = cv2.warpAffine(image, matrix, (w, h), flags=cv2.INTER_CUBIC,
                           borderMode=cv2.BORDER_REFLECT)
    if image.dtype.kind == "f":
        moved = np.clip(moved, 0, 1).astype(image.dtype)
    return image, moved.reshape(image.shape), flow
