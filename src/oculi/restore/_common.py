"""The input contract shared by every restoration function: dtypes, alpha, minimum size.

Every method works on float32 in [0, 1], HxW gray or HxWx3 RGB. :func:`split` turns an input into
that form and remembers what to give back; :func:`join` restores the input's dtype and alpha:

- uint8 and float32/float64 in [0, 1] come back in their dtype; **uint16** (16-bit PNG/TIFF) is
  processed as float32 in [0, 1] (``value / 65535``) and returned as uint16, rounded. Methods built
  on 8-bit OpenCV code (``nlm``, the ``dnn_superres`` models) see 8-bit data, so their 16-bit
  results carry 8-bit precision.
- An **alpha** channel (HxWx4) is kept aside: the colour channels are restored, the alpha is
  passed through unchanged (denoising, enhancement) or resized with MATLAB bicubic (upscaling)
  and reattached.
- Images smaller than :data:`MIN_SIZE` pixels on a side are refused (``ShapeError``): a
  1-pixel image carries no structure to restore.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oculi.core.checks import check_image
from oculi.core.convert import ensure_float01

#: the smallest height and width a restoration function accepts, in pixels
MIN_SIZE = 4


@dataclass(frozen=True)
class Parts:
    """What :func:`split` took apart: the input's dtype and its alpha plane (or None)."""

    dtype: np.dtype
    alpha: np.ndarray | None


def split(image: np.ndarray, name: str = "image") -> tuple[np.ndarray, Parts]:
    """Validate ``image`` and return its colour part as float32 [0, 1] (HxW or HxWx3) and
    :class:`Parts` for :func:`join`."""
    check_image(image, name, channels=(1, 3, 4), min_size=MIN_SIZE, finite=True)
    alpha = None
    if image.ndim == 3 and image.shape[2] == 4:
        alpha = image[..., 3]
        image = image[..., :3]
    elif image.ndim == 3 and image.shape[2] == 1:
        image = image[..., 0]
    work = ensure_float01(image, name)
    return np.ascontiguousarray(work), Parts(image.dtype, alpha)


def from_unit(image: np.ndarray, dtype: np.dtype) -> np.ndarray:
    """float [0, 1] -> ``dtype`` (integers rounded, everything clipped to the range)."""
    clipped = np.clip(image, 0.0, 1.0)
    if np.dtype(dtype).kind == "u":
        top = np.iinfo(dtype).max
        return np.rint(clipped * top).astype(dtype)
    return clipped.astype(dtype)


def join(work: np.ndarray, parts: Parts, alpha: np.ndarray | None = None) -> np.ndarray:
    """The restored float image back in the input's dtype, with ``alpha`` (default: the input's
    alpha) appended as a fourth channel."""
    out = from_unit(work, parts.dtype)
    alpha = parts.alpha if alpha is None else alpha
    if alpha is not None:
        if out.ndim == 2:
            out = np.repeat(out[..., None], 3, axis=2)
        out = np.concatenate([out, alpha.astype(parts.dtype)[..., None]], axis=2)
    return out


def to_uint8(work: np.ndarray) -> np.ndarray:
    """float [0, 1] -> uint8 rounded (for 8-bit OpenCV code)."""
    return np.rint(np.clip(work, 0.0, 1.0) * 255.0).astype(np.uint8)
