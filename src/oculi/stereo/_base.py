"""The stereo-method registry and the input checks shared by every method."""

from __future__ import annotations

import numpy as np

from oculi.core.checks import check_image, check_same_size
from oculi.core.errors import ParameterError
from oculi.core.registry import Registry

#: Rectified stereo matchers: ``fn(left, right, max_disparity=, **params) -> HxW float32``
#: disparity of the left image in pixels, NaN where invalid.
methods: Registry = Registry("stereo method")


def check_stereo_pair(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validate a rectified pair: same size and channels, uint8/uint16 or float in [0, 1].

    Raises:
        ShapeError: different sizes or channel counts, or images below 8x8 pixels.
        DTypeError, ValueRangeError: unsupported dtype or a float image outside [0, 1].
    """
    check_image(left, "left", min_size=8)
    check_image(right, "right", min_size=8)
    check_same_size(left, right, ("left", "right"))
    return left, right


def check_max_disparity(max_disparity: int, width: int) -> int:
    """Validate the number of disparities searched (>= 2, below the image width)."""
    if int(max_disparity) != max_disparity or max_disparity < 2:
        raise ParameterError(f"max_disparity: expected an integer >= 2, got {max_disparity!r}")
    if width and max_disparity >= width:
        raise ParameterError(f"max_disparity: expected fewer disparities than the image width "
                             f"{width}, got {max_disparity}")
    return int(max_disparity)


def gray_pair(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check a pair and return both as HxW C-contiguous float32 grey images on [0, 255]."""
    from oculi.core.convert import ensure_float01, to_gray

    check_stereo_pair(left, right)
    out = []
    for im, name in ((left, "left"), (right, "right")):
        g = ensure_float01(to_gray(im, name), name)
        out.append(np.ascontiguousarray(g * np.float32(255.0), dtype=np.float32))
    return out[0], out[1]


def uint8_pair(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Check a pair and return both as uint8 (grey stays grey, colour stays RGB)."""
    from oculi.core.convert import ensure_uint8

    check_stereo_pair(left, right)
    return (np.ascontiguousarray(ensure_uint8(left, "left")),
            np.ascontiguousarray(ensure_uint8(right, "right")))


def vertical_misalignment(left: np.ndarray, right: np.ndarray, *, max_features: int = 1500
                          ) -> tuple[float, int]:
    """Median vertical offset (pixels) of ORB matches between the two views, and their count.

    A rectified pair gives ~0; a few pixels or more means the pair is not rectified (or the
    views are swapped / unrelated). NaN when fewer than 10 cross-checked matches are found.
    """
    import cv2

    from oculi.core.convert import ensure_uint8, to_gray

    check_stereo_pair(left, right)
    a = ensure_uint8(to_gray(left, "left"), "left")
    b = ensure_uint8(to_gray(right, "right"), "right")
    orb = cv2.ORB_create(max_features)
    ka, da = orb.detectAndCompute(a, None)
    kb, db = orb.detectAndCompute(b, None)
    if da is None or db is None:
        return float("nan"), 0
    matches = cv2.BFMatcher(cv2.NORM_HAMMING, crossCheck=True).match(da, db)
    if len(matches) < 10:
        return float("nan"), len(matches)
    dy = [ka[m.queryIdx].pt[1] - kb[m.trainIdx].pt[1] for m in matches]
    return float(np.median(np.abs(dy))), len(matches)
