"""Two-image convenience: describe both, match, verify with a homography (used by the CLI)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from oculi.features.evaluate import estimate_homography_ransac, project
from oculi.features.match import match_descriptors
from oculi.features.methods import create_method
from oculi.features.types import Features, Matches


@dataclass
class ImageMatch:
    """Features of two images, their matches and the homography verified on them.

    Attributes:
        features1, features2: :class:`Features` of each image.
        matches: :class:`Matches` after the ratio test / mutual check.
        homography: ``(3, 3)`` float64 image 1 -> image 2 (oculi.geometry LO-MSAC + LM, 3 px),
            or ``None``.
        inliers: ``(M,)`` bool, matches within 3 px of the homography (all False without one).
    """

    features1: Features
    features2: Features
    matches: Matches
    homography: np.ndarray | None
    inliers: np.ndarray

    def summary(self) -> dict[str, Any]:
        """Counts and the homography, for printing and JSON."""
        return {
            "method": self.features1.method, "keypoints1": len(self.features1),
            "keypoints2": len(self.features2), "matches": len(self.matches),
            "inliers": int(self.inliers.sum()),
            "homography": None if self.homography is None else self.homography.tolist(),
        }


def match_images(
    image1: Any, image2: Any, method: str = "sift", *, matcher: str = "bf",
    ratio: float | None = 0.8, mutual: bool = True, threshold: float = 3.0,
    params: dict[str, Any] | None = None,
) -> ImageMatch:
    """Describe two images with one method, match them and verify with a homography.

    Args:
        image1, image2: HW or HWC images (uint8, uint16 or float in [0, 1]; NaN/inf is a
            ``ValueRangeError``).
        method: a registered method with descriptors (not ``fast``).
        matcher: ``"bf"`` or ``"flann"``.
        ratio: Lowe's ratio (``None``: off).
        mutual: keep mutual nearest neighbours only.
        threshold: inlier distance of the homography, pixels.
        params: method parameters.

    Returns:
        :class:`ImageMatch`.
    """
    from oculi.features.methods import _check_finite

    _check_finite(image1, "image1")
    _check_finite(image2, "image2")
    m = create_method(method, **(params or {}))
    f1, f2 = m(image1), m(image2)
    mt = match_descriptors(f1, f2, matcher=matcher, ratio=ratio, mutual=mutual)  # type: ignore[arg-type]
    p1, p2 = mt.points(f1, f2)
    h = estimate_homography_ransac(p1, p2, threshold)
    if h is None:
        inl = np.zeros(len(mt), bool)
    else:
        inl = np.linalg.norm(project(h, p1) - p2, axis=1) <= threshold
    return ImageMatch(f1, f2, mt, h, inl)
