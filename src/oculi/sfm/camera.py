"""Pinhole cameras with optional radial distortion, and readers of calibration files.

A :class:`Camera` maps camera-frame points ``(X, Y, Z)`` (Z forward, x right, y down) to pixels
``(x, y)`` (origin top-left, docs/conventions.md). Radial distortion follows the two-coefficient
polynomial model ``x_d = x_n (1 + k1 r^2 + k2 r^4)`` on normalised coordinates ``x_n = X / Z``.

    >>> import numpy as np
    >>> cam = Camera(500.0, 500.0, 320.0, 240.0, k1=-0.1)
    >>> xy = cam.project(np.array([[0.2, -0.1, 2.0]]))
    >>> np.allclose(cam.unproject(xy, depth=2.0), [[0.2, -0.1, 2.0]])
    True
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.errors import DataError, ParameterError, ShapeError
from oculi.geometry.transforms import as_points as as_xy  # (N, 2) pixels, or OpenCV's (N, 1, 2)


def as_xyz(points: Any, name: str) -> np.ndarray:
    """``(N, 3)`` float64 copy of ``points`` or :class:`ShapeError` naming ``name``."""
    a = np.asarray(points, dtype=np.float64)
    if a.ndim != 2 or a.shape[1] != 3:
        raise ShapeError(f"{name}: expected (N, 3) points (X, Y, Z), got shape {a.shape}")
    return a


@dataclass(frozen=True)
class Camera:
    """Pinhole intrinsics with optional radial distortion.

    Attributes:
        fx, fy: focal lengths in pixels.
        cx, cy: principal point in pixels.
        k1, k2: radial distortion coefficients (0: none) on normalised coordinates.
    """

    fx: float
    fy: float
    cx: float
    cy: float
    k1: float = 0.0
    k2: float = 0.0

    def __post_init__(self) -> None:
        if not (self.fx > 0 and self.fy > 0):
            raise ParameterError(f"Camera: focal lengths must be > 0, got fx={self.fx}, "
                                 f"fy={self.fy}")

    @classmethod
    def from_matrix(cls, K: Any, k1: float = 0.0, k2: float = 0.0) -> Camera:
        """Camera from a ``(3, 3)`` intrinsic matrix (skew ignored)."""
        k = np.asarray(K, dtype=np.float64)
        if k.shape != (3, 3):
            raise ShapeError(f"K: expected a (3, 3) matrix, got shape {k.shape}")
        k = k / k[2, 2]
        return cls(float(k[0, 0]), float(k[1, 1]), float(k[0, 2]), float(k[1, 2]), k1, k2)

    @property
    def K(self) -> np.ndarray:
        """``(3, 3)`` float64 intrinsic matrix."""
        return np.array([[self.fx, 0.0, self.cx], [0.0, self.fy, self.cy], [0.0, 0.0, 1.0]])

    @property
    def distorted(self) -> bool:
        """Whether any distortion coefficient is non-zero."""
        return self.k1 != 0.0 or self.k2 != 0.0

    def distort(self, xn: Any) -> np.ndarray:
        """Apply radial distortion to ``(N, 2)`` normalised coordinates."""
        p = as_xy(xn, "xn")
        r2 = (p**2).sum(1, keepdims=True)
        return p * (1.0 + self.k1 * r2 + self.k2 * r2**2)

    def undistort(self, xd: Any, iterations: int = 20) -> np.ndarray:
        """Invert :meth:`distort` by fixed-point iteration on ``(N, 2)`` normalised coordinates."""
        d = as_xy(xd, "xd")
        if not self.distorted:
            return d
        p = d.copy()
        for _ in range(iterations):
            r2 = (p**2).sum(1, keepdims=True)
            p = d / (1.0 + self.k1 * r2 + self.k2 * r2**2)
        return p

    def normalise(self, xy: Any) -> np.ndarray:
        """Pixels ``(N, 2)`` -> undistorted normalised coordinates ``(X/Z, Y/Z)``, ``(N, 2)``."""
        p = as_xy(xy, "xy")
        xd = np.stack([(p[:, 0] - self.cx) / self.fx, (p[:, 1] - self.cy) / self.fy], axis=1)
        return self.undistort(xd)

    def denormalise(self, xn: Any) -> np.ndarray:
        """Normalised coordinates ``(N, 2)`` -> distorted pixels ``(N, 2)``."""
        d = self.distort(xn)
        return np.stack([d[:, 0] * self.fx + self.cx, d[:, 1] * self.fy + self.cy], axis=1)

    def project(self, points: Any) -> np.ndarray:
        """Camera-frame points ``(N, 3)`` (Z > 0 in front) -> pixels ``(N, 2)`` float64."""
        X = as_xyz(points, "points")
        with np.errstate(divide="ignore", invalid="ignore"):
            xn = X[:, :2] / X[:, 2:3]
        return self.denormalise(xn)

    def unproject(self, xy: Any, depth: Any = 1.0) -> np.ndarray:
        """Pixels ``(N, 2)`` -> camera-frame points ``(N, 3)`` at depth Z (scalar or (N,))."""
        xn = self.normalise(xy)
        z = np.broadcast_to(np.asarray(depth, dtype=np.float64), (len(xn),))
        return np.column_stack([xn * z[:, None], z])

    def bearings(self, xy: Any) -> np.ndarray:
        """Unit viewing rays ``(N, 3)`` of pixels ``(N, 2)``."""
        r = self.unproject(xy)
        return r / np.linalg.norm(r, axis=1, keepdims=True)


def read_kitti_calib(path: str | Path, key: str = "P0") -> Camera:
    """Camera of one projection matrix in a KITTI odometry ``calib.txt``.

    Each line reads ``P0: p11 ... p34`` (12 numbers, a row-major ``3x4`` matrix ``K [R | t]``);
    lines without a label are ``P0``, ``P1``, ... in order.

    Args:
        path: the calib file.
        key: which matrix (``"P0"`` .. ``"P3"``, ``"Tr"`` is not a camera).

    Raises:
        DataError: the file is missing, a line does not parse, or ``key`` is absent.
    """
    path = Path(path)
    try:
        lines = path.read_text().splitlines()
    except OSError as err:
        raise DataError(f"{path}: cannot read the calibration file ({err.strerror})") from err
    mats: dict[str, np.ndarray] = {}
    for no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        name, sep, rest = line.partition(":")
        if not sep:  # unlabelled lines are P0, P1, ... in order
            name, rest = f"P{len(mats)}", line
        try:
            vals = [float(v) for v in rest.split()]
        except ValueError:
            vals = []
        if len(vals) != 12:
            raise DataError(f"{path}: line {no} {line[:40]!r} is not '[NAME:] 12 numbers'")
        mats[name.strip()] = np.array(vals).reshape(3, 4)
    if key not in mats:
        raise DataError(f"{path}: no {key!r} line (found {sorted(mats)})")
    k = mats[key][:, :3]
    if abs(k[1, 0]) > 1e-9 or abs(k[2, 0]) > 1e-9 or abs(k[2, 1]) > 1e-9:
        raise DataError(f"{path}: {key} is not of the form K [I | t] (left 3x3 not upper "
                        "triangular)")
    return Camera.from_matrix(k)


@dataclass(frozen=True)
class CalibratedView:
    """One image of a calibrated set: ``P = K [R | t]`` maps world points to pixels.

    Attributes:
        name: image file name.
        camera: intrinsics.
        R: ``(3, 3)`` world-to-camera rotation.
        t: ``(3,)`` world-to-camera translation (camera centre ``C = -R^T t``).
    """

    name: str
    camera: Camera
    R: np.ndarray
    t: np.ndarray

    @property
    def center(self) -> np.ndarray:
        """``(3,)`` camera centre in world coordinates."""
        return -self.R.T @ self.t

    @property
    def P(self) -> np.ndarray:
        """``(3, 4)`` projection matrix."""
        return self.camera.K @ np.column_stack([self.R, self.t])


def read_middlebury_par(path: str | Path) -> list[CalibratedView]:
    """Middlebury multi-view ``*_par.txt``: a count, then ``name k11..k33 r11..r33 t1 t2 t3``.

    Raises:
        DataError: a line that does not have a name and 21 numbers, or a wrong count.
    """
    path = Path(path)
    lines = [ln for ln in path.read_text().splitlines() if ln.strip()]
    if not lines:
        raise DataError(f"{path}: empty file")
    try:
        count = int(lines[0].split()[0])
    except ValueError as err:
        raise DataError(f"{path}: line 1 {lines[0][:40]!r} is not the image count") from err
    views = []
    for no, line in enumerate(lines[1:], 2):
        parts = line.split()
        try:
            v = np.array([float(x) for x in parts[1:]])
        except ValueError:
            v = np.zeros(0)
        if v.size != 21:
            raise DataError(f"{path}: line {no} is not 'name' + 21 numbers")
        views.append(CalibratedView(parts[0], Camera.from_matrix(v[:9].reshape(3, 3)),
                                    v[9:18].reshape(3, 3), v[18:21].copy()))
    if len(views) != count:
        raise DataError(f"{path}: header says {count} images, found {len(views)}")
    return views
