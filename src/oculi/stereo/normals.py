"""Surface normals of a depth map: robust local plane fits in camera coordinates.

Camera frame: x right, y down, z forward; normals are unit vectors oriented towards the camera
(``n . p < 0``). A pixel's normal is the smallest-eigenvalue eigenvector of the covariance of
the 3-D points in a square window around it, keeping only points whose depth is within
``max_depth_step`` (relative) of the centre's (so planes do not mix across depth edges); a second
fit drops the points farther than 2.5 robust sigmas from the first plane.
"""

from __future__ import annotations

import numpy as np
from numba import njit

from oculi.core.checks import check_positive
from oculi.core.errors import ParameterError, ShapeError


@njit(cache=True)
def _fit(pts, n):  # pragma: no cover - compiled
    """Unit normal (smallest eigenvector) of the first n rows of pts, and the centroid."""
    c = np.zeros(3)
    for i in range(n):
        c += pts[i]
    c /= n
    cov = np.zeros((3, 3))
    for i in range(n):
        q = pts[i] - c
        for a in range(3):
            for b in range(3):
                cov[a, b] += q[a] * q[b]
    _, vecs = np.linalg.eigh(cov)
    return vecs[:, 0].copy(), c


@njit(cache=True)
def _normals_kernel(depth, fx, fy, cx, cy, radius, max_step, min_points):  # pragma: no cover
    h, w = depth.shape
    out = np.full((h, w, 3), np.nan, np.float32)
    side = 2 * radius + 1
    pts = np.empty((side * side, 3))
    kept = np.empty((side * side, 3))
    res = np.empty(side * side)
    for y in range(h):
        for x in range(w):
            z0 = depth[y, x]
            if not (z0 > 0):
                continue
            n = 0
            for yy in range(max(y - radius, 0), min(y + radius + 1, h)):
                for xx in range(max(x - radius, 0), min(x + radius + 1, w)):
                    z = depth[yy, xx]
                    if z > 0 and abs(z - z0) <= max_step * z0:
                        pts[n, 0] = (xx - cx) * z / fx
                        pts[n, 1] = (yy - cy) * z / fy
                        pts[n, 2] = z
                        n += 1
            if n < min_points:
                continue
            nv, c = _fit(pts, n)
            for i in range(n):
                res[i] = abs((pts[i, 0] - c[0]) * nv[0] + (pts[i, 1] - c[1]) * nv[1]
                             + (pts[i, 2] - c[2]) * nv[2])
            sigma = 1.4826 * np.median(res[:n]) + 1e-9
            m = 0
            for i in range(n):
                if res[i] <= 2.5 * sigma:
                    kept[m] = pts[i]
                    m += 1
            if m >= min_points and m < n:
                nv, c = _fit(kept, m)
            p = np.array([(x - cx) * z0 / fx, (y - cy) * z0 / fy, z0])
            if nv[0] * p[0] + nv[1] * p[1] + nv[2] * p[2] > 0:
                nv = -nv
            for a in range(3):
                out[y, x, a] = nv[a]
    return out


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
    z = np.nan_to_num(d.astype(np.float64), nan=0.0, posinf=0.0, neginf=0.0)
    return _normals_kernel(z, float(fx), float(fy), float((w - 1) / 2 if cx is None else cx),
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
