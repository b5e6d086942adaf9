"""Projections of the panorama surface and warping images onto it.

A panorama pixel ``(u, v)`` stands for a world direction ``d`` (x right, y down, z forward):

* ``planar``:      ``u = s dx/dz``, ``v = s dy/dz`` (a plane at distance s; narrow panoramas);
* ``cylindrical``: ``u = s atan2(dx, dz)``, ``v = s dy / hypot(dx, dz)``;
* ``spherical``:   ``u = s atan2(dx, dz)``, ``v = s atan2(dy, hypot(dx, dz))``;

``s`` is the panorama scale (the median focal length, so the centre keeps the input resolution).
For the homography model, a :class:`PlaneTransform` maps image pixels to the reference plane.
Images are warped with inverse maps (``cv2.remap``) over their bounding box on the panorama.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oculi.core.checks import check_choice
from oculi.stitching.cameras import Camera

PROJECTIONS = ("planar", "cylindrical", "spherical")


def directions_to_pano(d: np.ndarray, projection: str, scale: float) -> tuple[np.ndarray, ...]:
    """``(..., 3)`` directions -> ``(u, v, valid)`` panorama coordinates."""
    x, y, z = d[..., 0], d[..., 1], d[..., 2]
    with np.errstate(divide="ignore", invalid="ignore"):
        if projection == "planar":
            valid = z > 1e-6
            u, v = scale * x / z, scale * y / z
        else:
            r = np.hypot(x, z)
            u = scale * np.arctan2(x, z)
            v = scale * (y / r if projection == "cylindrical" else np.arctan2(y, r))
            valid = r > 1e-9
    return u, v, valid & np.isfinite(u) & np.isfinite(v)


def pano_to_directions(u: np.ndarray, v: np.ndarray, projection: str, scale: float) -> np.ndarray:
    """Panorama coordinates -> ``(..., 3)`` world directions (not normalised)."""
    a, b = u / scale, v / scale
    if projection == "planar":
        return np.stack([a, b, np.ones_like(a)], axis=-1)
    if projection == "cylindrical":
        return np.stack([np.sin(a), b, np.cos(a)], axis=-1)
    cb = np.cos(b)
    return np.stack([np.sin(a) * cb, np.sin(b), np.cos(a) * cb], axis=-1)


@dataclass(frozen=True)
class RotationTransform:
    """Image pixels <-> panorama for a rotating camera on a projection surface."""

    camera: Camera
    projection: str
    scale: float

    def to_pano(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(N, 2)`` image pixels -> ``(u, v, valid)``."""
        k_inv = np.linalg.inv(self.camera.K)
        d = np.column_stack([xy, np.ones(len(xy))]) @ (self.camera.R.T @ k_inv).T
        return directions_to_pano(d, self.projection, self.scale)

    def from_pano(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Panorama coordinates -> image pixels ``(x, y)`` (NaN behind the camera)."""
        d = pano_to_directions(u, v, self.projection, self.scale)
        m = (self.camera.K @ self.camera.R).astype(np.float32)
        q = d.astype(np.float32) @ m.T
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(q[..., 2] > 1e-6, q[..., 2], np.nan)
            return q[..., 0] / z, q[..., 1] / z

    def scaled(self, s: float, pano_s: float) -> RotationTransform:
        """For images resized by ``s`` and a panorama scaled by ``pano_s``."""
        return RotationTransform(self.camera.scaled(s), self.projection, self.scale * pano_s)


@dataclass(frozen=True)
class PlaneTransform:
    """Image pixels <-> panorama for the homography model: ``pano = scale * H x``."""

    H: np.ndarray
    scale: float = 1.0

    @property
    def matrix(self) -> np.ndarray:
        return np.diag([self.scale, self.scale, 1.0]) @ self.H

    def to_pano(self, xy: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        q = np.column_stack([xy, np.ones(len(xy))]) @ self.matrix.T
        with np.errstate(divide="ignore", invalid="ignore"):
            u, v = q[:, 0] / q[:, 2], q[:, 1] / q[:, 2]
        return u, v, (q[:, 2] > 0) & np.isfinite(u) & np.isfinite(v)

    def from_pano(self, u: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        m = np.linalg.inv(self.matrix).astype(np.float32)
        q = np.stack([u, v, np.ones_like(u)], axis=-1).astype(np.float32) @ m.T
        with np.errstate(divide="ignore", invalid="ignore"):
            z = np.where(q[..., 2] > 1e-9, q[..., 2], np.nan)
            return q[..., 0] / z, q[..., 1] / z

    def scaled(self, s: float, pano_s: float) -> PlaneTransform:
        c = 0.5 / s - 0.5
        to_small = np.array([[1 / s, 0, c], [0, 1 / s, c], [0, 0, 1.0]])  # resized -> original
        # the reference plane is in original-image pixels of the root: scale it with the pano
        return PlaneTransform(self.H @ to_small, self.scale * pano_s)


def check_projection(projection: str) -> str:
    """Validate a projection name."""
    return check_choice(projection, PROJECTIONS, "projection")


def border_points(size: tuple[int, int], per_side: int = 64) -> np.ndarray:
    """Points along the border of an image of ``size = (h, w)``, ``(4*per_side, 2)``."""
    h, w = size
    t = np.linspace(0, 1, per_side, endpoint=False)
    top = np.column_stack([t * (w - 1), np.zeros_like(t)])
    right = np.column_stack([np.full_like(t, w - 1), t * (h - 1)])
    bottom = np.column_stack([(1 - t) * (w - 1), np.full_like(t, h - 1)])
    left = np.column_stack([np.zeros_like(t), (1 - t) * (h - 1)])
    return np.concatenate([top, right, bottom, left])


def pano_roi(transform, size: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """Integer bounding box ``(x0, y0, x1, y1)`` (exclusive end) of an image on the panorama,
    or ``None`` when it is not visible (e.g. behind a planar projection)."""
    pts = border_points(size)
    h, w = size
    grid = np.stack(np.meshgrid(np.linspace(0, w - 1, 9), np.linspace(0, h - 1, 9)), -1)
    pts = np.concatenate([pts, grid.reshape(-1, 2)])
    u, v, ok = transform.to_pano(pts)
    if not ok.all():
        return None
    return (int(np.floor(u.min())), int(np.floor(v.min())), int(np.ceil(u.max())) + 1,
            int(np.ceil(v.max())) + 1)


def pano_maps(transform, roi: tuple[int, int, int, int], step: int = 4):
    """Inverse maps (panorama box -> image pixels), float32 ``(H, W)`` each, for ``cv2.remap``.

    The projection is evaluated exactly on a grid every ``step`` pixels and interpolated
    bilinearly in between (the maps are smooth: the error is far below a hundredth of a pixel
    for the projections here); pixels with no source (behind the camera) get -1e6.
    """
    import cv2

    x0, y0, x1, y1 = roi
    w, h = x1 - x0, y1 - y0
    # nodes at the pixel positions where cv2.resize puts source samples (centres of step-blocks),
    # one extra node on each side so that the border pixels are interpolated, not clamped
    gw, gh = -(-w // step) + 2, -(-h // step) + 2
    gu = x0 + (np.arange(gw) - 1 + 0.5) * step - 0.5
    gv = y0 + (np.arange(gh) - 1 + 0.5) * step - 0.5
    uu, vv = np.meshgrid(gu, gv)
    mx, my = transform.from_pano(uu, vv)
    if step == 1 or not (np.isfinite(mx).all() and np.isfinite(my).all()):
        # exact evaluation when part of the box has no source (behind the camera)
        uu, vv = np.meshgrid(np.arange(x0, x1, dtype=np.float64),
                             np.arange(y0, y1, dtype=np.float64))
        mx, my = transform.from_pano(uu, vv)
        return (np.nan_to_num(mx, nan=-1e6).astype(np.float32),
                np.nan_to_num(my, nan=-1e6).astype(np.float32))
    out = []
    for m in (mx, my):
        # float32 throughout (no full-resolution float64 copies): the interpolated positions
        # keep ~1e-4 px at panorama coordinates of a few thousand pixels
        big = cv2.resize(m.astype(np.float32), (gw * step, gh * step),
                         interpolation=cv2.INTER_LINEAR)
        out.append(np.ascontiguousarray(big[step:step + h, step:step + w]))
    return out[0], out[1]


def warp_to_pano(
    image: np.ndarray, transform, roi: tuple[int, int, int, int], *, interpolation: int = 1,
) -> tuple[np.ndarray, np.ndarray]:
    """Warp ``image`` onto the panorama box ``roi``.

    Returns:
        ``(warped, mask)``: the image resampled over the box (same dtype and channels) and a
        uint8 mask (255 where the source pixel lies inside the image, one pixel in from its
        border so that interpolation never mixes in the black outside).
    """
    import cv2

    mx, my = pano_maps(transform, roi)
    h, w = image.shape[:2]
    warped = cv2.remap(image, mx, my, interpolation, borderMode=cv2.BORDER_REFLECT)
    mask = cv2.bitwise_and(cv2.inRange(mx, 0.5, w - 1.5), cv2.inRange(my, 0.5, h - 1.5))
    return warped, mask
