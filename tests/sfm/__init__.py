"""Tests of oculi.sfm; :func:`scene` makes the synthetic ground truth they share."""

from __future__ import annotations

import numpy as np

from oculi.sfm import Camera

CAM = Camera(700.0, 700.0, 320.0, 240.0)


def rot(axis, deg: float) -> np.ndarray:
    """Rotation of ``deg`` degrees about ``axis``."""
    a = np.asarray(axis, dtype=np.float64)
    a = a / np.linalg.norm(a) * np.radians(deg)
    import cv2

    return cv2.Rodrigues(a)[0]


def angle_deg(r1: np.ndarray, r2: np.ndarray) -> float:
    """Angle of ``r1^T r2``, degrees."""
    c = (np.trace(r1.T @ r2) - 1) / 2
    return float(np.degrees(np.arccos(np.clip(c, -1, 1))))


def scene(n=200, noise=0.5, outliers=0.3, seed=0, poses=None):
    """Random points in front of 2+ cameras; pixels with Gaussian noise and uniform outliers.

    Returns ``(X (n, 3), poses [(R, t)], xys [(n, 2)], outlier mask (n,))``.
    """
    rng = np.random.default_rng(seed)
    X = rng.uniform([-3, -2, 6], [3, 2, 12], (n, 3))
    if poses is None:
        poses = [(np.eye(3), np.zeros(3)), (rot([0.2, 1, 0.1], 6.0), np.array([-1.0, 0.1, 0.2]))]
    xys = [CAM.project(X @ r.T + t) + rng.normal(0, noise, (n, 2)) for r, t in poses]
    bad = np.zeros(n, bool)
    bad[: int(outliers * n)] = True
    xys[-1][bad] = rng.uniform([0, 0], [640, 480], (int(bad.sum()), 2))
    return X, poses, xys, bad
