"""Depth maps in and out: reading a reference depth file, a colour picture of a prediction.

    >>> import numpy as np
    >>> inv = np.array([[0.0, 1.0], [2.0, np.nan]], np.float32)
    >>> colorize_depth(inv).shape, colorize_depth(inv)[1, 1].tolist()
    ((2, 2, 3), [0, 0, 0])
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from oculi.core.errors import DataError, ShapeError


def read_depth_map(path: str | os.PathLike[str], *, depth_scale: float = 5000.0) -> np.ndarray:
    """A reference depth map: a uint16 PNG (value / ``depth_scale``) or an ``.npy`` array.

    Args:
        path: ``.png`` (TUM RGB-D: ``depth_scale`` 5000 units per metre) or ``.npy`` (float,
            already in metres).
        depth_scale: PNG units per metre (> 0).

    Returns:
        HxW float32 depth in metres; 0 (or NaN from an ``.npy``) where unknown.

    Raises:
        ImageReadError: an unreadable PNG. DataError: an ``.npy`` that is not a numeric HxW
        array, or a PNG that is not single-channel uint16. ParameterError: ``depth_scale`` <= 0.
    """
    from oculi.core.checks import check_positive

    p = Path(path)
    if p.suffix.lower() != ".npy":
        from oculi.stereo import read_depth_png

        return read_depth_png(p, depth_scale=check_positive(depth_scale, "depth_scale"))
    if not p.is_file():
        raise DataError(f"{p}: no such depth file")
    try:
        arr = np.load(p, allow_pickle=False)
    except (ValueError, TypeError, EOFError, OSError) as exc:
        raise DataError(f"{p}: not a readable .npy array ({exc})") from None
    if arr.ndim != 2 or arr.dtype.kind not in "fiu":
        raise DataError(f"{p}: expected an HxW numeric depth array, got {arr.dtype.name} "
                        f"{arr.shape}")
    return arr.astype(np.float32)


def colorize_depth(inverse_depth: np.ndarray, colormap: str = "turbo") -> np.ndarray:
    """HxWx3 uint8 RGB picture of relative inverse depth (near = warm); NaN pixels black.

    The 2nd..98th percentiles of the finite values span the colormap, so the picture does not
    depend on the prediction's unknown scale and shift. For metric depth pass ``1 / depth``.

    Args:
        inverse_depth: HxW float map (larger = nearer).
        colormap: an OpenCV colormap name (``turbo``, ``jet``, ``inferno``, ``magma``, ...).
    """
    from oculi.stereo import colorize_disparity

    d = np.asarray(inverse_depth, np.float32)
    if d.ndim != 2:
        raise ShapeError(f"inverse_depth: expected an HxW map, got shape {d.shape}")
    finite = np.isfinite(d)
    scaled = np.full(d.shape, np.nan, np.float32)
    if finite.any():
        lo, hi = np.percentile(d[finite], [2.0, 98.0])
        scaled[finite] = np.clip((d[finite] - lo) / max(float(hi - lo), 1e-12), 0.0, 1.0)
    return colorize_disparity(scaled, 1.0, colormap)
