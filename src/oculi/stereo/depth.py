"""Disparity -> depth -> 3-D points and colourised disparity images.

Camera frame: x right, y down, z forward (metres if the baseline is in metres). A left pixel
``(u, v)`` with disparity ``d`` lies at depth ``z = f * B / d`` and at
``x = (u - cx) * z / f``, ``y = (v - cy) * z / f`` (OpenCV's ``reprojectImageTo3D`` with
``Q`` from :func:`disparity_to_depth_matrix` gives the same points).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from oculi.core.checks import check_positive
from oculi.core.errors import ShapeError
from oculi.io.ply import read_ply, write_ply

__all__ = [  # write_ply lives in oculi.io.ply and is re-exported here
    "colorize_disparity", "depth_to_points", "disparity_to_depth", "disparity_to_depth_matrix",
    "disparity_to_png16", "disparity_to_points", "read_ply_points", "write_ply",
]


def _check_map(a: np.ndarray, name: str) -> np.ndarray:
    a = np.asarray(a)
    if a.ndim != 2:
        raise ShapeError(f"{name}: expected an HxW map, got shape {a.shape}")
    return a.astype(np.float32, copy=False)


def disparity_to_depth(disparity: np.ndarray, focal: float, baseline: float,
                       *, min_disparity: float = 1e-6) -> np.ndarray:
    """Depth ``f * B / d`` of an HxW disparity map.

    Args:
        disparity: HxW float disparity in pixels; NaN or values <= ``min_disparity`` invalid.
        focal: focal length in pixels.
        baseline: distance between the camera centres (its unit is the depth's unit).
        min_disparity: disparities at or below this are invalid (infinite depth).

    Returns:
        HxW float32 depth, NaN where invalid.
    """
    d = _check_map(disparity, "disparity")
    check_positive(focal, "focal")
    check_positive(baseline, "baseline")
    out = np.full(d.shape, np.nan, np.float32)
    ok = np.isfinite(d) & (d > min_disparity)
    out[ok] = np.float32(focal * baseline) / d[ok]
    return out


def disparity_to_depth_matrix(focal: float, baseline: float, cx: float, cy: float) -> np.ndarray:
    """OpenCV's 4x4 ``Q`` for a rectified pair with equal principal points (float64)."""
    return np.array([[1, 0, 0, -cx], [0, 1, 0, -cy], [0, 0, 0, focal], [0, 0, 1 / baseline, 0]],
                    dtype=np.float64)


def depth_to_points(depth: np.ndarray, fx: float, fy: float | None = None,
                    cx: float | None = None, cy: float | None = None) -> np.ndarray:
    """Back-project an HxW depth map to an HxWx3 float32 map of camera-frame points.

    Args:
        depth: HxW depth (metres or the baseline's unit); NaN or <= 0 invalid.
        fx, fy: focal lengths in pixels (``fy`` defaults to ``fx``).
        cx, cy: principal point in pixels (defaults: the image centre ``(W-1)/2, (H-1)/2``).

    Returns:
        HxWx3 float32 ``(x, y, z)``; NaN at invalid pixels.
    """
    z = _check_map(depth, "depth").copy()
    h, w = z.shape
    fy = fx if fy is None else fy
    cx = (w - 1) / 2 if cx is None else cx
    cy = (h - 1) / 2 if cy is None else cy
    check_positive(fx, "fx")
    check_positive(fy, "fy")
    z[~(np.isfinite(z) & (z > 0))] = np.nan
    u = np.arange(w, dtype=np.float32)[None, :]
    v = np.arange(h, dtype=np.float32)[:, None]
    x = (u - np.float32(cx)) * z / np.float32(fx)
    y = (v - np.float32(cy)) * z / np.float32(fy)
    return np.stack([x, y, z], axis=-1).astype(np.float32)


def disparity_to_points(disparity: np.ndarray, focal: float, baseline: float,
                        cx: float | None = None, cy: float | None = None) -> np.ndarray:
    """HxWx3 float32 camera-frame points of a disparity map (NaN where invalid)."""
    return depth_to_points(disparity_to_depth(disparity, focal, baseline), focal, focal, cx, cy)


def read_ply_points(path: str | Path) -> np.ndarray:
    """The ``(N, 3)`` float32 x, y, z of a PLY file (see :func:`oculi.io.read_ply`)."""
    return read_ply(path).points.astype(np.float32)


def colorize_disparity(disparity: np.ndarray, max_disparity: float | None = None,
                       colormap: str = "turbo") -> np.ndarray:
    """HxWx3 uint8 RGB picture of a disparity map (near = warm); invalid pixels black.

    Args:
        disparity: HxW float disparity in pixels, NaN invalid.
        max_disparity: value mapped to the top of the colormap (default: the map's maximum).
        colormap: an OpenCV colormap name (``turbo``, ``jet``, ``inferno``, ``magma`` ...).
    """
    import cv2

    from oculi.core.checks import check_choice

    d = _check_map(disparity, "disparity")
    check_choice(colormap, ("turbo", "jet", "inferno", "magma", "viridis", "plasma"), "colormap")
    valid = np.isfinite(d)
    top = float(max_disparity) if max_disparity else (float(d[valid].max()) if valid.any()
                                                      else 1.0)
    scaled = np.zeros(d.shape, np.uint8)
    scaled[valid] = np.clip(d[valid] / max(top, 1e-6) * 255.0 + 0.5, 0, 255).astype(np.uint8)
    cmap = getattr(cv2, f"COLORMAP_{colormap.upper()}")
    rgb = cv2.applyColorMap(scaled, cmap)[..., ::-1].copy()
    rgb[~valid] = 0
    return rgb


def disparity_to_png16(disparity: np.ndarray, scale: float = 256.0) -> np.ndarray:
    """HxW uint16 image of ``round(disparity * scale)`` (0 = invalid; KITTI uses 256)."""
    d = _check_map(disparity, "disparity")
    out = np.zeros(d.shape, np.uint16)
    ok = np.isfinite(d) & (d > 0)
    out[ok] = np.clip(np.round(d[ok] * scale), 1, 65535).astype(np.uint16)
    return out
