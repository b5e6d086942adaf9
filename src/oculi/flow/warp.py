"""Backward warping: sample frame 2 at ``x + flow(x)`` to bring it onto frame 1.

    >>> import numpy as np
    >>> image = np.tile(np.arange(8, dtype=np.float32) / 8, (4, 1))
    >>> flow = np.zeros((4, 8, 2), np.float32); flow[..., 0] = 1.0
    >>> warp_image(image, flow)[0, :3].tolist()
    [0.125, 0.25, 0.375]
"""

from __future__ import annotations

import numpy as np

from oculi.core.checks import check_choice, check_image
from oculi.flow._base import check_flow

_INTERP = {"nearest": 0, "linear": 1, "cubic": 2}


def flow_to_map(flow: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Absolute sampling coordinates ``(x + u, y + v)`` as two HxW float32 maps."""
    f = check_flow(flow)
    h, w = f.shape[:2]
    xs = np.arange(w, dtype=np.float32)[None, :] + f[..., 0]
    ys = np.arange(h, dtype=np.float32)[:, None] + f[..., 1]
    return xs, ys


def warp_image(
    image: np.ndarray,
    flow: np.ndarray,
    *,
    interpolation: str = "linear",
    border: str = "replicate",
    return_mask: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Backward-warp ``image`` (frame 2) by ``flow`` (frame 1 -> 2).

    ``out(x) = image(x + flow(x))``: frame 2 brought onto frame 1's pixel grid.

    Args:
        image: HxW or HxWxC array (uint8, uint16 or float32/64; any range for float).
        flow: HxWx2 flow in pixels, same height and width as ``image``.
        interpolation: ``"nearest"``, ``"linear"`` or ``"cubic"``.
        border: ``"replicate"`` (repeat the edge) or ``"constant"`` (zeros) outside the image.
        return_mask: also return an HxW bool mask of pixels that sample inside the image.

    Returns:
        The warped image, same shape and dtype as ``image`` (and the mask when asked).

    Raises:
        ShapeError: the flow is not HxWx2 or does not match the image size.
    """
    import cv2

    check_image(image, "image", channels=range(1, 513),
                dtypes=("uint8", "uint16", "float32", "float64"), check_range=False)
    check_choice(interpolation, _INTERP, "interpolation")
    check_choice(border, ("replicate", "constant"), "border")
    xs, ys = flow_to_map(check_flow(flow, shape=image.shape[:2]))
    mode = cv2.BORDER_REPLICATE if border == "replicate" else cv2.BORDER_CONSTANT
    src = image.astype(np.float32) if image.dtype == np.float64 else image
    if src.ndim == 3 and src.shape[2] > 4:  # OpenCV remaps at most 4 channels at a time
        out = np.stack([cv2.remap(np.ascontiguousarray(src[..., c]), xs, ys, _INTERP[interpolation],
                                  borderMode=mode) for c in range(src.shape[2])], axis=2)
    else:
        out = cv2.remap(np.ascontiguousarray(src), xs, ys, _INTERP[interpolation], borderMode=mode)
        if src.ndim == 3 and out.ndim == 2:
            out = out[..., None]
    out = out.astype(image.dtype, copy=False)
    if not return_mask:
        return out
    h, w = image.shape[:2]
    inside = (xs >= 0) & (xs <= w - 1) & (ys >= 0) & (ys <= h - 1)
    return out, inside
