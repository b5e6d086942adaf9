"""Camera pose from 2D-3D correspondences: OpenCV's RANSAC PnP, then Levenberg–Marquardt.

    >>> import numpy as np
    >>> from oculi.sfm.camera import Camera
    >>> rng = np.random.default_rng(0)
    >>> cam = Camera(500.0, 500.0, 320.0, 240.0)
    >>> X = rng.uniform([-1, -1, 4], [1, 1, 6], (50, 3))
    >>> res = solve_pnp(X, cam.project(X), cam)
    >>> bool(np.allclose(res.R, np.eye(3), atol=1e-6)), bool(np.allclose(res.t, 0, atol=1e-6))
    (True, True)
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from oculi.core.checks import check_positive
from oculi.core.errors import NoMatchError, ShapeError
from oculi.sfm.camera import Camera, as_xy, as_xyz
from oculi.sfm.triangulate import depths, project_points


@dataclass(frozen=True)
class PnPResult:
    """World-to-camera pose ``X_cam = R X + t`` of one view.

    Attributes:
        R: ``(3, 3)`` rotation.
        t: ``(3,)`` translation (world units).
        inliers: ``(N,)`` bool, reprojection error <= threshold and in front of the camera.
        errors: ``(N,)`` float64 reprojection errors in pixels.
    """

    R: np.ndarray
    t: np.ndarray
    inliers: np.ndarray
    errors: np.ndarray

    @property
    def center(self) -> np.ndarray:
        """``(3,)`` camera centre in world coordinates."""
        return -self.R.T @ self.t


def solve_pnp(
    points3d: Any, points2d: Any, camera: Camera, *, threshold: float = 2.0,
    confidence: float = 0.999, max_iterations: int = 1000, refine: bool = True,
) -> PnPResult:
    """Robust PnP: ``cv2.solvePnPRansac`` (SQPnP on minimal samples), then LM on the inliers.

    Args:
        points3d: ``(N, 3)`` world points, ``N >= 6``.
        points2d: ``(N, 2)`` their pixels ``(x, y)``.
        camera: intrinsics (radial ``k1, k2`` are passed to OpenCV).
        threshold: inlier reprojection error, pixels.
        confidence: RANSAC confidence.
        max_iterations: RANSAC cap.
        refine: ``cv2.solvePnPRefineLM`` on the inliers (minimises the reprojection error).

    Returns:
        :class:`PnPResult`.

    Raises:
        ShapeError: mismatched arrays; NoMatchError: fewer than 6 points or no pose.
    """
    import cv2

    X, x = as_xyz(points3d, "points3d"), as_xy(points2d, "points2d")
    if len(X) != len(x):
        raise ShapeError(f"points3d and points2d: expected the same count, got {len(X)} and "
                         f"{len(x)}")
    if len(X) < 6:
        raise NoMatchError(f"solve_pnp: need at least 6 correspondences, got {len(X)}")
    check_positive(threshold, "threshold")
    dist = np.array([camera.k1, camera.k2, 0.0, 0.0])
    ok, rvec, tvec, idx = cv2.solvePnPRansac(
        X, x, camera.K, dist, iterationsCount=max_iterations, reprojectionError=threshold,
        confidence=confidence, flags=cv2.SOLVEPNP_SQPNP)
    if not ok or idx is None or len(idx) < 4:
        raise NoMatchError(f"solve_pnp: no pose with 4+ inliers among {len(X)} points")
    inl = np.zeros(len(X), bool)
    inl[idx.ravel()] = True
    if refine:
        for _ in range(3):
            rvec, tvec = cv2.solvePnPRefineLM(X[inl], x[inl], camera.K, dist, rvec, tvec)
            r = cv2.Rodrigues(rvec)[0]
            err = np.linalg.norm(project_points(X, camera, (r, tvec.ravel())) - x, axis=1)
            new = (err <= threshold) & (depths(X, (r, tvec.ravel())) > 0)
            if new.sum() < 4 or np.array_equal(new, inl):
                break
            inl = new
    r, t = cv2.Rodrigues(rvec)[0], tvec.ravel().astype(np.float64)
    err = np.linalg.norm(project_points(X, camera, (r, t)) - x, axis=1)
    inl = (err <= threshold) & (depths(X, (r, t)) > 0)
    return PnPResult(r, t, inl, err)
