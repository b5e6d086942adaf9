"""Array conversions, in one place. Nothing here rescales silently: each function says what it does.

>>> import numpy as np
>>> from oculi.core.convert import ensure_float01, ensure_uint8, to_gray
>>> ensure_float01(np.array([[0, 255]], np.uint8))
array([[0., 1.]], dtype=float32)
>>> ensure_uint8(np.array([[0.0, 0.5, 1.0]], np.float32))
array([[  0, 128, 255]], dtype=uint8)
>>> to_gray(np.full((2, 2, 3), 200, np.uint8))[0, 0]
np.uint8(200)
"""

from __future__ import annotations

import numpy as np

from oculi.core.checks import check_image
from oculi.core.errors import DTypeError

# ITU-R BT.601 luma weights, the ones OpenCV and Pillow use for RGB -> gray.
_LUMA = np.array([0.299, 0.587, 0.114], np.float32)


def ensure_float01(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Return ``image`` as float32 in [0, 1].

    uint8 is divided by 255, uint16 by 65535; float input is checked to lie in [0, 1] and cast.
    """
    check_image(image, name, channels=(1, 2, 3, 4))
    if image.dtype == np.uint8:
        return image.astype(np.float32) * np.float32(1 / 255)
    if image.dtype == np.uint16:
        return image.astype(np.float32) * np.float32(1 / 65535)
    return image.astype(np.float32, copy=False)


def ensure_uint8(image: np.ndarray, name: str = "image") -> np.ndarray:
    """Return ``image`` as uint8: float [0, 1] times 255, rounded; uint16 divided by 257."""
    check_image(image, name, channels=(1, 2, 3, 4))
    if image.dtype == np.uint8:
        return image
    if image.dtype == np.uint16:
        return ((image.astype(np.uint32) + 128) // 257).astype(np.uint8)
    return np.clip(np.rint(image * 255.0), 0, 255).astype(np.uint8)


def to_gray(image: np.ndarray, name: str = "image") -> np.ndarray:
    """RGB(A) HWC -> HW gray with BT.601 weights, keeping the dtype; HW input is returned as is.

    uint8/uint16 outputs are rounded like ``cv2.cvtColor(..., COLOR_RGB2GRAY)``.
    """
    check_image(image, name)
    if image.ndim == 2:
        return image
    if image.shape[2] == 1:
        return image[..., 0]
    rgb = image[..., :3]
    if image.dtype == np.uint8:
        import cv2

        return cv2.cvtColor(np.ascontiguousarray(rgb), cv2.COLOR_RGB2GRAY)
    gray = rgb.astype(np.float32) @ _LUMA
    if image.dtype.kind == "u":
        return np.rint(gray).astype(image.dtype)
    return gray.astype(image.dtype, copy=False)


def to_rgb(image: np.ndarray, name: str = "image") -> np.ndarray:
    """HW gray or HWC (1, 3, 4 channels) -> HWx3 RGB of the same dtype (alpha dropped)."""
    check_image(image, name)
    if image.ndim == 2:
        return np.repeat(image[..., None], 3, axis=2)
    if image.shape[2] == 1:
        return np.repeat(image, 3, axis=2)
    return np.ascontiguousarray(image[..., :3])


def to_numpy_image(tensor) -> np.ndarray:
    """A CHW (or 1xCHW) float tensor in [0, 1] -> HWC float32 numpy array (HW for one channel)."""
    import torch

    if not isinstance(tensor, torch.Tensor):
        raise DTypeError(f"tensor: expected a torch.Tensor, got {type(tensor).__name__}")
    t = tensor.detach().cpu()
    if t.ndim == 4 and t.shape[0] == 1:
        t = t[0]
    arr = t.permute(1, 2, 0).numpy().astype(np.float32)
    return arr[..., 0] if arr.shape[2] == 1 else arr


def to_tensor_batch(images: list[np.ndarray] | np.ndarray):
    """HWC uint8 or float [0, 1] image(s) -> NCHW float32 tensor in [0, 1] (gray: 1 channel)."""
    import torch

    items = [images] if isinstance(images, np.ndarray) and images.ndim in (2, 3) else list(images)
    out = []
    for i, im in enumerate(items):
        f = ensure_float01(im, name=f"images[{i}]")
        if f.ndim == 2:
            f = f[..., None]
        out.append(torch.from_numpy(np.ascontiguousarray(f.transpose(2, 0, 1))))
    return torch.stack(out)
