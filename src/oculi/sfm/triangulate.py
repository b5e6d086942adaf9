"""Triangulation of points seen in N calibrated views, with errors and uncertainty.

A view is a :class:`~oculi.sfm.camera.Camera` and a world-to-camera pose ``(R, t)``
(``X_cam = R X + t``, camera centre ``C = -R^T t``). Pixels are undistorted by the camera before
triangulating, so both methods work on normalised coordinates (well conditioned).

* ``"dlt"``: the linear method (Hartley & Zisserman 12.2): the 3-D point is the smallest right
  singular vector of the stacked ``x × (P X) = 0`` rows of all views.
* ``"midpoint"``: the point closest (least squares) to all viewing rays.

Uncertainty (:func:`point_covariance`): first-order propagation of isotropic pixel noise
``sigma`` through the reprojection: ``cov = sigma^2 (J^T J)^-1`` with ``J`` the ``(2V, 3)``
Jacobian of the pixel projections in all views at the point. Its largest axis grows like
``depth / (focal * parallax)``: tiny parallax -> large depth uncertainty.

    >>> import numpy as np
    >>> from oculi.sfm.camera import Camera
    >>> cam = Camera(500.0, 500.0, 320.0, 240.0)
    >>> X = np.array([[0.1, -0.2, 4.0]])
    >>> poses = [(np.eye(3), np.zeros(3)), (np.eye(3), np.array([-0.5, 0.0, 0.0]))]
    >>> xys = [cam.project(X @ R.T + t) for R, t in poses]
    >>> np.allclose(triangulate(xys, cam, poses), X)
    True
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from oculi.core.errors import ParameterError, ShapeError
from oculi.sfm.camera import Camera, as_xy, as_xyz

Pose = tuple[np.ndarray, np.ndarray]


def _views(xys: Sequence[Any], cameras: Camera | Sequence[Camera], poses: Sequence[Pose]):
    if len(xys) != len(poses):
        raise ShapeError(f"xys and poses: expected one point array per pose, got {len(xys)} "
                         f"and {len(poses)}")
    if len(xys) < 2:
        raise ParameterError(f"xys: triangulation needs >= 2 views, got {len(xys)}")
    cams = [cameras] * len(xys) if isinstance(cameras, Camera) else list(cameras)
    if len(cams) != len(xys):
        raise ShapeError(f"cameras: expected {len(xys)}, got {len(cams)}")
    pts = [as_xy(p, f"xys[{i}]") for i, p in enumerate(xys)]
    if len({len(p) for p in pts}) != 1:
        raise ShapeError(f"xys: every view needs the same number of points, got "
                         f"{[len(p) for p in pts]}")
    rs = [np.asarray(r, dtype=np.float64).reshape(3, 3) for r, _ in poses]
    ts = [np.asarray(t, dtype=np.float64).reshape(3) for _, t in poses]
    return pts, cams, rs, ts


def triangulate(
    xys: Sequence[Any],
    cameras: Camera | Sequence[Camera],
    poses: Sequence[Pose],
    method: str = "dlt",
) -> np.ndarray:
    """Triangulate ``N`` points observed in ``V >= 2`` views.

    Args:
        xys: ``V`` arrays ``(N, 2)`` of pixels ``(x, y)``; row ``i`` is the same point in each.
        cameras: one :class:`Camera` for all views or ``V`` of them.
        poses: ``V`` world-to-camera ``(R (3, 3), t (3,))``.
        method: ``"dlt"`` or ``"midpoint"``.

    Returns:
        ``(N, 3)`` float64 world points (NaN where the system is degenerate or an observation
        is NaN).

    Raises:
        ShapeError: inconsistent inputs; ParameterError: fewer than 2 views or a bad method.
    """
    pts, cams, rs, ts = _views(xys, cameras, poses)
    xn = [c.normalise(p) for c, p in zip(cams, pts, strict=True)]
    if method == "dlt":
        rows = []
        for x, r, t in zip(xn, rs, ts, strict=True):
            p = np.column_stack([r, t])  # (3, 4)
            rows.append(x[:, :1, None] * p[2] - p[0])  # (N, 1, 4)
            rows.append(x[:, 1:2, None] * p[2] - p[1])
        a = np.concatenate(rows, axis=1)  # (N, 2V, 4)
        a = a / np.linalg.norm(a, axis=2, keepdims=True).clip(1e-300)
        bad = ~np.isfinite(a).all(axis=(1, 2))  # a NaN/inf observation: that point is NaN
        a[bad] = 0.0
        _, vecs = np.linalg.eigh(np.einsum("nki,nkj->nij", a, a))
        h = vecs[:, :, 0]
        with np.errstate(divide="ignore", invalid="ignore"):
            out = h[:, :3] / h[:, 3:4]
        out[bad] = np.nan
        return out
    if method == "midpoint":
        n = len(xn[0])
        lhs = np.zeros((n, 3, 3))
        rhs = np.zeros((n, 3))
        for x, r, t in zip(xn, rs, ts, strict=True):
            d = np.column_stack([x, np.ones(n)]) @ r  # world directions R^T [x, 1]
            d /= np.linalg.norm(d, axis=1, keepdims=True)
            c = -r.T @ t
            m = np.eye(3)[None] - d[:, :, None] * d[:, None, :]
            lhs += m
            rhs += m @ c
        with np.errstate(invalid="ignore"):
            try:
                return np.linalg.solve(lhs, rhs[..., None])[..., 0]
            except np.linalg.LinAlgError:
                return np.full((n, 3), np.nan)
    raise ParameterError(f"method: expected 'dlt' or 'midpoint', got {method!r}")


def project_points(points3d: Any, camera: Camera, pose: Pose) -> np.ndarray:
    """World points ``(N, 3)`` -> pixels ``(N, 2)`` in a view ``(camera, (R, t))``."""
    X = as_xyz(points3d, "points3d")
    r, t = pose
    return camera.project(X @ np.asarray(r).T + np.asarray(t).reshape(3))


def depths(points3d: Any, pose: Pose) -> np.ndarray:
    """``(N,)`` depths ``Z`` of world points in the camera of ``pose`` (> 0: in front)."""
    X = as_xyz(points3d, "points3d")
    r, t = pose
    return X @ np.asarray(r)[2] + np.asarray(t).reshape(3)[2]


def reprojection_errors(
    points3d: Any,
    xys: Sequence[Any],
    cameras: Camera | Sequence[Camera],
    poses: Sequence[Pose],
) -> np.ndarray:
    """``(V, N)`` float64 pixel distances between observed and reprojected points."""
    pts, cams, rs, ts = _views(xys, cameras, poses)
    return np.stack([
        np.linalg.norm(project_points(points3d, c, (r, t)) - p, axis=1)
        for p, c, r, t in zip(pts, cams, rs, ts, strict=True)
    ])


def parallax_angles(points3d: Any, poses: Sequence[Pose]) -> np.ndarray:
    """``(N,)`` largest angle, in degrees, between the rays from any two camera centres."""
    X = as_xyz(points3d, "points3d")
    rays = []
    for r, t in poses:
        c = -np.asarray(r).T @ np.asarray(t).reshape(3)
        d = X - c
        rays.append(d / np.linalg.norm(d, axis=1, keepdims=True))
    best = np.zeros(len(X))
    for i in range(len(rays)):
        for j in range(i + 1, len(rays)):
            cos = np.clip((rays[i] * rays[j]).sum(1), -1.0, 1.0)
            best = np.maximum(best, np.degrees(np.arccos(cos)))
    return best


def point_covariance(
    points3d: Any,
    cameras: Camera | Sequence[Camera],
    poses: Sequence[Pose],
    sigma: float = 1.0,
) -> np.ndarray:
    """First-order covariance of triangulated points under isotropic pixel noise.

    ``cov = sigma^2 (J^T J)^-1`` where ``J`` ``(2V, 3)`` stacks the Jacobians of the (undistorted)
    pixel projections. ``sqrt`` of its largest eigenvalue is the standard deviation along the
    worst direction (mostly depth), in world units.

    Args:
        points3d: ``(N, 3)`` world points.
        cameras: one camera or one per view.
        poses: ``V`` world-to-camera poses.
        sigma: pixel noise standard deviation.

    Returns:
        ``(N, 3, 3)`` float64 covariances (inf where the point is not constrained).
    """
    X = as_xyz(points3d, "points3d")
    cams = [cameras] * len(poses) if isinstance(cameras, Camera) else list(cameras)
    jtj = np.zeros((len(X), 3, 3))
    for cam, (r, t) in zip(cams, poses, strict=True):
        r = np.asarray(r, dtype=np.float64)
        q = X @ r.T + np.asarray(t, dtype=np.float64).reshape(3)
        z = q[:, 2]
        dq = np.zeros((len(X), 2, 3))  # d(pixel)/d(q)
        dq[:, 0, 0] = cam.fx / z
        dq[:, 0, 2] = -cam.fx * q[:, 0] / z**2
        dq[:, 1, 1] = cam.fy / z
        dq[:, 1, 2] = -cam.fy * q[:, 1] / z**2
        j = dq @ r
        jtj += np.einsum("nki,nkj->nij", j, j)
    out = np.full_like(jtj, np.inf)
    ok = np.linalg.cond(jtj) < 1e15
    out[ok] = sigma**2 * np.linalg.inv(jtj[ok])
    return out
