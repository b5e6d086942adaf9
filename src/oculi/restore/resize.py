"""MATLAB-compatible bicubic ``imresize`` — the degradation the super-resolution literature uses.

MATLAB's ``imresize(image, scale, 'bicubic')`` (antialiasing on, the default) differs from
OpenCV's and Pillow's bicubic: when shrinking, the cubic kernel (Keys, ``a = -0.5``) is widened by
``1 / scale`` (a low-pass filter against aliasing), and the image is extended by mirroring with
the edge sample repeated (``[1 .. n, n .. 1]``). Output pixel ``x`` (1-based) samples the input
at ``u = x / scale + 0.5 (1 - 1 / scale)``. Each axis gets a precomputed (n_out, taps) table of
weights and source indices, applied as two 1-D passes (the axis with the smaller scale first, as
MATLAB does). Set5 x2 / x3 / x4 bicubic through this resize gives the published
33.66 / 30.39 / 28.42 dB (Y, shaved); ``tests/restore/test_resize.py`` checks it.

    >>> import numpy as np
    >>> from oculi.restore import imresize
    >>> imresize(np.full((6, 6), 100, np.uint8), 0.5).tolist()   # flat stays flat
    [[100, 100, 100], [100, 100, 100], [100, 100, 100]]
"""

from __future__ import annotations

import math

import numpy as np

from oculi.core.checks import check_image, check_positive
from oculi.core.errors import ParameterError


def _cubic(x: np.ndarray) -> np.ndarray:
    """Keys' cubic convolution kernel with a = -0.5 (support [-2, 2])."""
    ax = np.abs(x)
    ax2, ax3 = ax ** 2, ax ** 3
    near = (1.5 * ax3 - 2.5 * ax2 + 1.0) * (ax <= 1)
    far = (-0.5 * ax3 + 2.5 * ax2 - 4.0 * ax + 2.0) * ((ax > 1) & (ax <= 2))
    return near + far


def resize_weights(n_in: int, n_out: int, scale: float, antialias: bool = True
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Per-output-pixel weights and 0-based source indices along one axis (MATLAB's
    ``contributions``).

    Args:
        n_in, n_out: input and output lengths in pixels.
        scale: ``n_out / n_in`` as given to ``imresize`` (< 1 shrinks).
        antialias: widen the kernel by ``1 / scale`` when shrinking.

    Returns:
        ``(weights, indices)``: both (n_out, taps); weights (float64) sum to 1 along a row;
        indices are mirrored into ``[0, n_in)``.
    """
    width = 4.0
    if scale < 1 and antialias:
        def kernel(x: np.ndarray) -> np.ndarray:
            return scale * _cubic(scale * x)
        width = width / scale
    else:
        kernel = _cubic
    x = np.arange(1, n_out + 1, dtype=np.float64)
    u = x / scale + 0.5 * (1.0 - 1.0 / scale)
    left = np.floor(u - width / 2.0)
    taps = math.ceil(width) + 2
    ind = left[:, None] + np.arange(taps)[None, :]          # 1-based
    weights = kernel(u[:, None] - ind)
    weights /= weights.sum(axis=1, keepdims=True)
    mirror = np.concatenate([np.arange(n_in), np.arange(n_in - 1, -1, -1)])
    ind = mirror[np.mod(ind.astype(np.int64) - 1, mirror.size)]
    keep = np.any(weights != 0, axis=0)                     # drop all-zero columns
    return weights[:, keep], ind[:, keep]


def _resize_axis(data: np.ndarray, axis: int, n_out: int, scale: float,
                 antialias: bool) -> np.ndarray:
    weights, ind = resize_weights(data.shape[axis], n_out, scale, antialias)
    moved = np.moveaxis(data, axis, 0)                      # (n_in, ...)
    out = np.einsum("ot,ot...->o...", weights, moved[ind])
    return np.moveaxis(out, 0, axis)


def imresize(image: np.ndarray, scale: float | None = None, *,
             size: tuple[int, int] | None = None, antialias: bool = True) -> np.ndarray:
    """Bicubic resize as MATLAB's ``imresize(image, scale, 'bicubic')``.

    Args:
        image: HxW or HxWxC, uint8, uint16 or float in [0, 1].
        scale: factor for both axes (0.5 halves); the output size is ``ceil(scale * size)``.
        size: ``(height, width)`` of the output instead of ``scale`` (each axis then uses
            its own factor ``out / in``).
        antialias: MATLAB's ``'Antialiasing'`` (on by default; matters only when shrinking).

    Returns:
        The resized image, same dtype: integer dtypes are rounded and clipped (as MATLAB does),
        float is computed in float64 and returned in the input's float dtype, clipped to [0, 1].

    Raises:
        ParameterError: neither or both of ``scale`` and ``size``, or a non-positive value.
    """
    check_image(image, "image", channels=None if image.ndim == 2 else (image.shape[2],))
    if (scale is None) == (size is None):
        raise ParameterError("imresize: give exactly one of scale and size")
    h, w = image.shape[:2]
    if size is not None:
        out_h, out_w = (int(s) for s in size)
        if out_h < 1 or out_w < 1:
            raise ParameterError(f"size: expected positive (height, width), got {size!r}")
        scales = (out_h / h, out_w / w)
    else:
        check_positive(scale, "scale")
        out_h, out_w = math.ceil(scale * h - 1e-9), math.ceil(scale * w - 1e-9)
        scales = (float(scale), float(scale))
    data = image.astype(np.float64)
    for axis in sorted((0, 1), key=lambda a: scales[a]):
        n_out = out_h if axis == 0 else out_w
        data = _resize_axis(data, axis, n_out, scales[axis], antialias)
    if image.dtype.kind == "u":
        top = np.iinfo(image.dtype).max
        return np.clip(np.rint(data), 0, top).astype(image.dtype)
    return np.clip(data, 0.0, 1.0).astype(image.dtype)
