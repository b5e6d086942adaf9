"""match_images: describe, match and verify; the homography of a known warp is recovered."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from oculi.data import load
from oculi.features import corner_error
from oculi.features.pipeline import match_images


@pytest.mark.parametrize("method", ["surf", "akaze"])
def test_match_images_recovers_a_known_homography(method):
    img = load("coffee")
    h = np.array([[0.9, 0.05, 15], [-0.04, 0.92, 10], [5e-5, -3e-5, 1.0]])
    warped = cv2.warpPerspective(img, h, (img.shape[1], img.shape[0]))
    res = match_images(img, warped, method)
    assert corner_error(res.homography, h, img.shape[:2]) < 1.0
    assert res.inliers.sum() > 0.5 * len(res.matches)
    s = res.summary()
    assert s["matches"] == len(res.matches) and s["method"] == method


def test_match_images_rejects_a_nan_image():
    from oculi.core.errors import ValueRangeError

    img = load("camera", mode="gray").astype(np.float32) / 255
    bad = img.copy()
    bad[5, 5] = np.nan
    with pytest.raises(ValueRangeError, match="image2: 1 NaN or infinite"):
        match_images(img, bad, "orb")
