"""Surface normals of a depth map: robust local plane fits in camera coordinates.

Camera frame: x right, y down, z forward; normals are unit vectors oriented towards the camera
(``n . p < 0``). A pixel's normal is the smallest-eigenvalue eigenvector of the covariance of
the 3-D points in a square window around it, keeping only points whose depth is within
``max_depth_step`` (relative) of the centre's (so planes do not mix across depth edges); a second
fit drops the points farther than 2.5 robust sigmas from the first plane.
"""

from __future__ import annotations

import numpy as np

from oculi.core.checks import check_positive
from oculi.core.errors import ParameterError, ShapeError


def depth_normals(depth: np.ndarray, fx: float, fy: float | None = None,
                  cx: float | None = None, cy: float | None = None, *, window: int = 7,
                  max_depth_step: float = 0.05, min_points: int = 6) -> np.ndarray:
    """Per-pixel unit surface normals of a depth map from robust local plane fits.

    Args:
        depth: HxW float depth (metres or any unit); 0, negative or NaN = no measurement.
        fx, fy: focal lengths in pixels (``fy`` defaults to ``fx``).
        cx, cy: principal point in pixels (defaults: the image centre).
        window: odd side of the square fitting window in pixels.
        max_depth_step: neighbours whose depth differs from the centre's by more than this
            fraction of it are left out of the fit.
        min_points: fewest valid points for a fit; fewer leaves the pixel NaN.

    Returns:
        HxWx3 float32 unit normals (x right, y down, z forward), facing the camera; NaN where
        the depth is invalid or too few neighbours are valid.

    Raises:
        ShapeError: depth not HxW; ParameterError: bad window or intrinsics.
    """
    d = np.asarray(depth)
    if d.ndim != 2:
        raise ShapeError(f"depth: expected an HxW map, got shape {d.shape}")
    if window < 3 or window % 2 == 0:
        raise ParameterError(f"window: expected an odd size >= 3, got {window}")
    h, w = d.shape
    fy = fx if fy is None else fy
    check_positive(fx, "fx")
    check_positive(fy, "fy")
    from oculi.stereo._normals_kernels import normals_kernel  # numba: imported on first use

    z = np.nan_to_num(d.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    return normals_kernel(z, float(fx), float(fy), float((w - 1) / 2 if cx is None else cx),
                           float((h - 1) / 2 if cy is None else cy), window // 2,
                           float(max_depth_step), max(3, int(min_points)))


def normals_to_color(normals: np.ndarray) -> np.ndarray:
    """HxWx3 uint8 RGB picture ``(n + 1) / 2 * 255`` of unit normals (invalid pixels black)."""
    n = np.asarray(normals, dtype=np.float32)
    if n.ndim != 3 or n.shape[2] != 3:
        raise ShapeError(f"normals: expected HxWx3, got shape {n.shape}")
    valid = np.isfinite(n).all(axis=2)
    rgb = np.zeros(n.shape, np.uint8)
    rgb[valid] = np.clip((n[valid] + 1) * 127.5 + 0.5, 0, 255).astype(np.uint8)
    return rgb


def normal_angle_difference(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """HxW float32 angle between two normal maps in degrees (NaN where either is invalid)."""
    a = np.asarray(a, dtype=np.float32)
    b = np.asarray(b, dtype=np.float32)
    if a.shape != b.shape or a.ndim != 3 or a.shape[2] != 3:
        raise ShapeError(f"normals a and b: expected two HxWx3 maps of one size, got {a.shape} "
                         f"and {b.shape}")
    dot = np.sum(a * b, axis=2) / (np.linalg.norm(a, axis=2) * np.linalg.norm(b, axis=2))
    return np.degrees(np.arccos(np.clip(dot, -1.0, 1.0))).astype(np.float32)
