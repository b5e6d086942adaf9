"""Fixtures for the flow tests: a textured frame and a pair with exactly known affine flow."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.fixture(scope="module")
def textured() -> np.ndarray:
    """A 120x160 float32 frame in [0, 1]: the 'camera' sample (real texture), downsized."""
    import cv2

    from oculi.data import load

    image = load("camera", mode="gray")
    return cv2.resize(image, (160, 120), interpolation=cv2.INTER_AREA).astype(np.float32) / 255


def interior(a: np.ndarray, margin: int = 12) -> np.ndarray:
    """``a`` without a border of ``margin`` pixels (where warps sample outside the frame)."""
    return a[margin:-margin, margin:-margin]


def load_middlebury(name: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Frames 10, 11 and the ground truth of one shared Middlebury sequence (skips if absent)."""
    from oculi.flow import read_flo
    from oculi.io import read_image
    from tests.conftest import shared_set

    folder = shared_set("flow_middlebury") / name
    return (read_image(folder / "frame10.png"), read_image(folder / "frame11.png"),
            read_flo(folder / "flow10.flo"))
