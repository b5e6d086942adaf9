"""A sparse 3-D model: registered views, 3-D points with colours, and their tracks.

This is what :func:`oculi.sfm.reconstruct` returns, what the PLY / COLMAP-text writers write and
the readers read back, and what the 3-D viewer draws. Image ``i`` is ``names[i]``; poses are
world-to-camera ``(R, t)`` (``X_cam = R X + t``); pixels ``(x, y)`` with the origin at the
top-left pixel's centre (COLMAP's text format puts the origin at the pixel's corner: the writers
add 0.5).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from oculi.sfm.camera import Camera

Pose = tuple[np.ndarray, np.ndarray]


@dataclass
class Reconstruction:
    """Sparse model.

    Attributes:
        names: image names, index = image id (registered or not).
        cameras: one :class:`Camera` per image (images may share one object).
        image_sizes: ``(height, width)`` per image, pixels.
        poses: image id -> world-to-camera ``(R (3, 3), t (3,))`` for registered images.
        keypoints: per image ``(K_i, 2)`` float64 pixels (all detected keypoints).
        points3d: ``(P, 3)`` float64 world points.
        colors: ``(P, 3)`` uint8 RGB colour of each point.
        tracks: ``P`` int arrays ``(k, 2)``: rows ``(image id, keypoint index)`` observing the
            point.
        errors: ``(P,)`` float64 mean reprojection error of each point, pixels.
    """

    names: list[str]
    cameras: list[Camera]
    image_sizes: list[tuple[int, int]]
    poses: dict[int, Pose] = field(default_factory=dict)
    keypoints: list[np.ndarray] = field(default_factory=list)
    points3d: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))
    colors: np.ndarray = field(default_factory=lambda: np.zeros((0, 3), np.uint8))
    tracks: list[np.ndarray] = field(default_factory=list)
    errors: np.ndarray = field(default_factory=lambda: np.zeros(0))

    @property
    def registered(self) -> list[int]:
        """Sorted ids of the images with a pose."""
        return sorted(self.poses)

    def center(self, image: int) -> np.ndarray:
        """``(3,)`` centre of a registered image's camera in world coordinates."""
        r, t = self.poses[image]
        return -np.asarray(r).T @ np.asarray(t)

    def observations(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """All observations as flat arrays.

        Returns:
            ``image_ids (M,)``, ``point_ids (M,)`` int, ``xy (M, 2)`` float64 pixels.
        """
        if not self.tracks:
            return np.zeros(0, np.intp), np.zeros(0, np.intp), np.zeros((0, 2))
        lens = [len(t) for t in self.tracks]
        tr = np.concatenate(self.tracks).astype(np.intp)
        pid = np.repeat(np.arange(len(self.tracks)), lens)
        xy = np.array([self.keypoints[i][k] for i, k in tr]).reshape(-1, 2)
        return tr[:, 0], pid, xy

    def mean_track_length(self) -> float:
        """Mean number of views per point (0 when there are no points)."""
        return float(np.mean([len(t) for t in self.tracks])) if self.tracks else 0.0

    def mean_reprojection_error(self) -> float:
        """Mean over observations of the reprojection error, pixels (NaN without points)."""
        ii, pid, xy = self.observations()
        if not len(ii):
            return float("nan")
        err = np.empty(len(ii))
        for i in np.unique(ii):
            sel = ii == i
            r, t = self.poses[int(i)]
            q = self.points3d[pid[sel]] @ np.asarray(r).T + np.asarray(t)
            err[sel] = np.linalg.norm(self.cameras[int(i)].project(q) - xy[sel], axis=1)
        return float(err.mean())
