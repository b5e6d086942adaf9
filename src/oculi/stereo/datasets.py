"""Stereo and depth data: Middlebury 2003 pairs, skimage's motorcycle pair, TUM/NYU depth maps."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from oculi.core.errors import DataError, ImageReadError


@dataclass
class StereoPair:
    """A rectified pair with the left view's ground truth.

    Attributes:
        left, right: HxWx3 uint8 RGB images.
        disparity: HxW float32 ground-truth disparity of the left view in pixels, NaN unknown.
        name: a label for reports.
        max_disparity: a search range covering the ground truth (a multiple of 16).
        nonoccluded: HxW bool, True where the left pixel is visible in the right view (from the
            right view's ground truth; None when the pair has none).
    """

    left: np.ndarray
    right: np.ndarray
    disparity: np.ndarray
    name: str = ""
    max_disparity: int = 64
    nonoccluded: np.ndarray | None = None


def visible_in_right(disparity: np.ndarray, right_disparity: np.ndarray, *,
                     tolerance: float = 1.0) -> np.ndarray:
    """Left pixels seen by the right camera: the right view's ground truth at ``x - d`` agrees.

    Args:
        disparity: HxW float left-view disparity in pixels (NaN unknown).
        right_disparity: HxW float right-view disparity (right pixel ``x`` matches left
            ``x + d``), NaN unknown.
        tolerance: largest disagreement in pixels.

    Returns:
        HxW bool, False at occluded or unknown pixels.
    """
    h, w = disparity.shape
    xs = np.arange(w)[None, :] - np.round(np.nan_to_num(disparity, nan=-1e6))
    inside = np.isfinite(disparity) & (xs >= 0) & (xs < w)
    xr = np.clip(xs, 0, w - 1).astype(np.int64)
    dr = right_disparity[np.arange(h)[:, None], xr]
    with np.errstate(invalid="ignore"):
        return inside & (np.abs(dr - disparity) <= tolerance)


def _range(disparity: np.ndarray) -> int:
    top = float(np.nanmax(disparity)) if np.isfinite(disparity).any() else 0.0
    return int(np.ceil((top + 2) / 16) * 16)


def read_middlebury_2003(folder: str | Path, *, scale: float = 1.0) -> StereoPair:
    """Read a Middlebury 2003 pair (``im2.png`` left, ``im6.png`` right, ``disp2.png`` truth).

    The ground-truth PNG stores disparity x 4 (quarter-size images), 0 = unknown. When the
    right view's truth ``disp6.png`` is there, ``nonoccluded`` marks the left pixels it sees.

    Args:
        folder: the pair's folder (e.g. ``../shared/data/stereo_middlebury/cones``).
        scale: resize factor in (0, 1]; disparities scale with it (nearest for the truth).

    Raises:
        ImageReadError: a file is missing or unreadable.
    """
    from oculi.io import read_image

    folder = Path(folder)
    if not (folder / "disp2.png").is_file():
        raise ImageReadError(f"{folder}: no disp2.png — expected a Middlebury 2003 pair folder "
                             "(im2.png, im6.png, disp2.png)")
    left = read_image(folder / "im2.png", mode="rgb")
    right = read_image(folder / "im6.png", mode="rgb")
    gt = read_disparity_png(folder / "disp2.png")
    mask = None
    if (folder / "disp6.png").is_file():
        mask = visible_in_right(gt, read_disparity_png(folder / "disp6.png"))
    pair = StereoPair(left, right, gt, folder.name, _range(gt), mask)
    return rescale_pair(pair, scale) if scale != 1.0 else pair


def read_disparity_png(path: str | os.PathLike[str], scale: float = 4.0) -> np.ndarray:
    """A ground-truth disparity PNG: disparity x ``scale`` (Middlebury 2003: 4), 0 = unknown ->
    float32 px, NaN."""
    from oculi.io import read_image

    raw = read_image(Path(path), mode="unchanged")
    raw = raw[..., 0] if raw.ndim == 3 else raw
    gt = raw.astype(np.float32) / np.float32(scale)
    gt[raw == 0] = np.nan
    return gt


def load_motorcycle(*, scale: float = 1.0) -> StereoPair:
    """skimage's embedded Middlebury 2014 "Motorcycle" pair (500x741) with its ground truth.

    Args:
        scale: resize factor in (0, 1]; the disparities scale with it.
    """
    from skimage.data import stereo_motorcycle

    left, right, disp = stereo_motorcycle()
    gt = disp.astype(np.float32)
    gt[~np.isfinite(gt)] = np.nan
    pair = StereoPair(left, right, gt, "motorcycle", _range(gt))
    return rescale_pair(pair, scale) if scale != 1.0 else pair


def rescale_pair(pair: StereoPair, scale: float) -> StereoPair:
    """Resize a pair by ``scale`` (area for images, nearest for the truth, values x scale)."""
    import cv2

    from oculi.core.errors import ParameterError

    if not 0 < scale <= 1:
        raise ParameterError(f"scale: expected a factor in (0, 1], got {scale}")
    h, w = pair.left.shape[:2]
    size = (max(8, round(w * scale)), max(8, round(h * scale)))
    left = cv2.resize(pair.left, size, interpolation=cv2.INTER_AREA)
    right = cv2.resize(pair.right, size, interpolation=cv2.INTER_AREA)
    gt = cv2.resize(pair.disparity, size, interpolation=cv2.INTER_NEAREST) * np.float32(scale)
    mask = None
    if pair.nonoccluded is not None:
        mask = cv2.resize(pair.nonoccluded.astype(np.uint8), size,
                          interpolation=cv2.INTER_NEAREST).astype(bool)
    return StereoPair(left, right, gt, pair.name, _range(gt), mask)


def read_depth_png(path: str | Path, *, depth_scale: float = 5000.0) -> np.ndarray:
    """Read a uint16 depth PNG (TUM RGB-D: value / 5000 = metres) as HxW float32 metres.

    Args:
        path: the PNG file.
        depth_scale: raw units per metre (TUM 5000, many Kinect tools 1000).

    Returns:
        HxW float32 depth in metres, 0 where the sensor gave no measurement.

    Raises:
        ImageReadError: unreadable file; DataError: not a single-channel 16-bit image.
    """
    from oculi.io import read_image

    raw = read_image(Path(path), mode="unchanged")
    if raw.ndim != 2 or raw.dtype != np.uint16:
        raise DataError(f"{path}: expected a single-channel uint16 depth PNG, got "
                        f"{raw.dtype.name} {raw.shape}")
    return raw.astype(np.float32) / np.float32(depth_scale)
