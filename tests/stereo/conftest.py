"""Stereo fixtures: a synthetic random-dot pair with known disparity, Middlebury pairs."""

from __future__ import annotations

import numpy as np
import pytest

from tests.conftest import shared_set


def random_dot_pair(h: int = 64, w: int = 96, seed: int = 0
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Left/right uint8 grey images of a textured slanted plane and a raised square.

    Returns (left, right, disparity) with disparity = 6 + 4 * x / w on the plane and 14 on the
    square; the right image is the left one resampled at x + d (so left x matches right x - d).
    """
    import cv2

    rng = np.random.default_rng(seed)
    tex = cv2.GaussianBlur(rng.uniform(0, 255, (h, w + 40)).astype(np.float32), (0, 0), 0.8)
    xs = np.arange(w, dtype=np.float32)[None, :].repeat(h, 0)
    disp = 6 + 4 * xs / w
    disp[20:44, 30:60] = 14.0
    left = tex[:, 20:20 + w]
    # right pixel (x_r, y) shows the left point with x_l = x_r + d(x_l): invert by search
    right = np.zeros_like(left)
    for y in range(h):
        xl = np.arange(w, dtype=np.float32)
        xr = xl - disp[y]
        order = np.argsort(xr, kind="stable")
        right[y] = np.interp(np.arange(w), xr[order], tex[y, 20:20 + w][order])
        # points beyond the left image's border come from the texture margin
        miss = np.arange(w) > xr.max()
        right[y, miss] = tex[y, 20 + w:20 + w + miss.sum()][: miss.sum()]
    return (np.clip(left, 0, 255).astype(np.uint8), np.clip(right, 0, 255).astype(np.uint8),
            disp.astype(np.float32))


@pytest.fixture(scope="module")
def dots():
    return random_dot_pair()


def middlebury(name: str, scale: float = 1.0):
    from oculi.stereo import read_middlebury_2003

    return read_middlebury_2003(shared_set("stereo_middlebury") / name, scale=scale)
