"""Synthetic views for structure from motion, with exact poses: the textured road and side wall
of :func:`oculi.sfm.tour.render_road` seen from cameras on an arc around the corner where they
meet.

    scene = corner_views(8)                      # 8 grey 240x320 views, exact poses
    rec = reconstruct(scene.images, scene.camera, names=scene.names)
    pose_errors(rec, scene.views)                # rotation / centre errors against the truth
    scene.write(folder)                          # PNGs + a Middlebury-style par file

The cameras look down at a point 0.65 m above the road, 1 m in front of the wall at ``x = 7``
m, from 5 m away and about 2 m above the road, so each view holds two planes at a wide angle
(road and wall: no single homography explains the matches) and the horizon, with the far wall
and its aliased texture, stays out of view. Consecutive views are ``arc_deg / (n - 1)`` apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from oculi.core.checks import check_positive
from oculi.core.errors import ParameterError
from oculi.sfm.camera import CalibratedView, Camera

#: the point the cameras look at, world metres (render_road's frame: x right, y down, z ahead)
TARGET = (6.0, 1.0, 8.0)


@dataclass(frozen=True)
class SyntheticScene:
    """Rendered views and their exact calibration.

    Attributes:
        images: ``N`` grey ``HxW`` uint8 views.
        camera: the shared pinhole intrinsics (pixels, no distortion).
        views: per image its name, the camera and the exact world-to-camera ``R, t`` (metres).
    """

    images: list[np.ndarray]
    camera: Camera
    views: list[CalibratedView]

    @property
    def names(self) -> list[str]:
        """Image names (``corner00.png``, ...), as in :attr:`views`."""
        return [v.name for v in self.views]

    def write(self, folder: str | Path) -> Path:
        """Write the views as PNG files and their calibration as a Middlebury ``*_par.txt``
        (readable by :func:`oculi.sfm.read_middlebury_par`), atomically.

        Returns:
            The path of the par file (``folder/corner_par.txt``).
        """
        from oculi.core.atomic import write_text_atomic
        from oculi.io import write_image

        folder = Path(folder)
        for name, image in zip(self.names, self.images, strict=True):
            write_image(folder / name, image)
        lines = [str(len(self.views))]
        for v in self.views:
            numbers = np.concatenate([v.camera.K.ravel(), v.R.ravel(), v.t])
            lines.append(" ".join([v.name, *(f"{x:.17g}" for x in numbers)]))
        return write_text_atomic(folder / "corner_par.txt", "\n".join(lines) + "\n")


def _look_at(centre: np.ndarray, target: np.ndarray) -> np.ndarray:
    """``(3, 3)`` camera-to-world rotation of a camera at ``centre`` looking at ``target`` with
    its ``x`` axis level (``y`` down, as the world's)."""
    z = target - centre
    z /= np.linalg.norm(z)
    x = np.cross([0.0, 1.0, 0.0], z)
    x /= np.linalg.norm(x)
    return np.column_stack([x, np.cross(z, x), z])


def corner_poses(n: int, *, arc_deg: float = 60.0, radius: float = 5.0,
                 height: float = 2.0) -> np.ndarray:
    """Camera-to-world poses on an arc around :data:`TARGET`.

    Args:
        n: number of cameras (>= 2).
        arc_deg: angle the arc spans around the target, degrees (centred on the diagonal
            between the road's direction and the wall's normal).
        radius: horizontal distance of the cameras from the target, metres.
        height: camera height above the target's level, metres; it varies by ±0.2 m along the
            arc so that the centres are not coplanar.

    Returns:
        ``(n, 4, 4)`` float64 camera-to-world poses (metres).
    """
    if n < 2:
        raise ParameterError(f"n: expected >= 2 views, got {n}")
    check_positive(radius, "radius")
    target = np.asarray(TARGET)
    angles = np.radians(45.0 + arc_deg * (np.arange(n) / (n - 1) - 0.5))
    poses = np.tile(np.eye(4), (n, 1, 1))
    for i, a in enumerate(angles):
        lift = height - 0.2 * np.cos(2 * np.pi * i / (n - 1))
        centre = target + np.array([-radius * np.sin(a), -lift, -radius * np.cos(a)])
        poses[i, :3, :3] = _look_at(centre, target)
        poses[i, :3, 3] = centre
    return poses


def corner_views(n: int = 8, *, size: tuple[int, int] = (240, 320), focal: float = 260.0,
                 arc_deg: float = 60.0, seed: int = 0) -> SyntheticScene:
    """Render ``n`` views of the road/wall corner (ray casting, about 40 ms a view at 320x240).

    Args:
        n: number of views (>= 2).
        size: ``(height, width)`` of the views, pixels.
        focal: focal length, pixels (principal point at the image centre).
        arc_deg: angle the cameras span around the corner, degrees (see :func:`corner_poses`).
        seed: texture seed.

    Returns:
        :class:`SyntheticScene` with the views named ``corner00.png``, ...
    """
    from oculi.sfm.tour import render_road

    check_positive(focal, "focal")
    h, w = size
    camera = Camera(focal, focal, (w - 1) / 2.0, (h - 1) / 2.0)
    poses = corner_poses(n, arc_deg=arc_deg)
    images = render_road(poses, k=camera.K, size=(h, w), seed=seed)
    views = []
    for i, pose in enumerate(poses):
        r = pose[:3, :3].T
        views.append(CalibratedView(f"corner{i:02d}.png", camera, r, -r @ pose[:3, 3]))
    return SyntheticScene(images, camera, views)
