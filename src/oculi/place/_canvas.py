"""Plane-canvas helpers shared by the occlusion, appearance and candidate modules: input checks
for frames and homographies, the plane's quadrilateral in a frame and the frame region it covers.

A homography ``H`` maps canvas pixels ``[x, y, 1]`` of the rectified plane (size ``(h, w)``) to
frame pixels. The plane covers the canvas pixels' full extent, ``[-0.5, w - 0.5] x
[-0.5, h - 0.5]``, so a frame pixel belongs to the plane when its centre maps inside it.
"""

from __future__ import annotations

import numpy as np

from oculi.core.checks import check_image
from oculi.core.errors import DTypeError, ParameterError, ShapeError, ValueRangeError


def check_frame(frame: object, name: str = "frame", *, channels: tuple[int, ...] = (3,),
                min_size: int = 2) -> np.ndarray:
    """An ``HxWx3`` uint8 RGB frame (or ``channels``), returned unchanged."""
    return check_image(frame, name, channels=channels, dtypes=("uint8",), min_size=min_size)


def check_homography(H: object, name: str = "H") -> np.ndarray:
    """A finite, invertible ``(3, 3)`` homography as float64 (a copy).

    Raises:
        DTypeError: not a numeric array.
        ShapeError: not ``(3, 3)``.
        ValueRangeError: NaN or infinite entries.
        ParameterError: a singular matrix.
    """
    try:
        arr = np.array(H, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise DTypeError(f"{name}: expected a (3, 3) numeric array, got {type(H).__name__}"
                         ) from err
    if arr.shape != (3, 3):
        raise ShapeError(f"{name}: expected a (3, 3) homography, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueRangeError(f"{name}: NaN or infinite entries — the plane was not tracked in "
                              "this frame; skip it instead of passing its homography")
    scale = np.abs(arr).max()
    if scale == 0 or abs(np.linalg.det(arr / scale)) < 1e-12:
        raise ParameterError(f"{name}: a singular homography (determinant ~ 0) maps the plane to "
                             "a line or a point")
    return arr


def extent_corners(canvas_size: tuple[int, int]) -> np.ndarray:
    """``(4, 2)`` float64 corners of the canvas's full pixel extent (TL, TR, BR, BL)."""
    h, w = canvas_size
    return np.array([[-0.5, -0.5], [w - 0.5, -0.5], [w - 0.5, h - 0.5], [-0.5, h - 0.5]])


def project(H: np.ndarray, points: np.ndarray) -> np.ndarray:
    """``(N, 2)`` points mapped by ``H``; raises ParameterError when one maps through infinity
    (the plane crosses the camera's horizon)."""
    p = np.c_[points, np.ones(len(points))] @ H.T
    if not (np.all(p[:, 2] > 1e-9) or np.all(p[:, 2] < -1e-9)):
        raise ParameterError("H: the plane's corners map through infinity (the plane crosses the "
                             "camera's horizon) — use a homography whose quadrilateral is finite")
    return p[:, :2] / p[:, 2:3]


def translation(dx: float, dy: float) -> np.ndarray:
    """``(3, 3)`` translation by ``(dx, dy)`` pixels."""
    return np.array([[1.0, 0, dx], [0, 1.0, dy], [0, 0, 1.0]])


def pixel_scale(sx: float, sy: float) -> np.ndarray:
    """``(3, 3)`` map of pixel centres when an image is resized by ``(sx, sy)``:
    ``x' = (x + 0.5) sx - 0.5`` (OpenCV's ``resize`` convention)."""
    return np.array([[sx, 0, 0.5 * sx - 0.5], [0, sy, 0.5 * sy - 0.5], [0, 0, 1.0]])


def frame_roi(quad: np.ndarray, frame_shape: tuple[int, ...], margin: int = 2
              ) -> tuple[int, int, int, int] | None:
    """``(x0, y0, x1, y1)`` (exclusive ends) of the quadrilateral's bounding box grown by
    ``margin`` and clipped to the frame; ``None`` when it lies outside the frame."""
    h, w = frame_shape[:2]
    x0 = max(0, int(np.floor(quad[:, 0].min())) - margin)
    y0 = max(0, int(np.floor(quad[:, 1].min())) - margin)
    x1 = min(w, int(np.ceil(quad[:, 0].max())) + margin + 1)
    y1 = min(h, int(np.ceil(quad[:, 1].max())) + margin + 1)
    if x0 >= x1 or y0 >= y1:
        return None
    return x0, y0, x1, y1


def quad_mask(H_roi: np.ndarray, canvas_size: tuple[int, int], roi_size: tuple[int, int]
              ) -> np.ndarray:
    """``(height, width)`` bool: pixels of an ROI whose centres map (by ``inv(H_roi)``) inside the
    canvas extent; ``H_roi`` maps canvas pixels to ROI pixels."""
    import cv2

    h, w = roi_size
    ones = np.full(canvas_size, 255, np.uint8)
    warped = cv2.warpPerspective(ones, H_roi, (w, h), flags=cv2.INTER_LINEAR,
                                 borderMode=cv2.BORDER_CONSTANT, borderValue=0)
    return warped >= 128


def rectify(crop: np.ndarray, M: np.ndarray, work: tuple[int, int],
            usable: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Resample a frame crop onto a small canvas.

    Args:
        crop: ``hxwx3`` uint8 frame region.
        M: ``(3, 3)`` small-canvas pixels -> crop pixels.
        work: ``(height, width)`` of the small canvas.
        usable: optional ``hxw`` uint8, 255 where the crop may be used (0: occluded).

    Returns:
        ``work``-sized float32 ``x3`` image and bool map of the canvas pixels that had usable
        crop pixels. The crop is area-averaged first when the plane covers more than 1.5 crop
        pixels per canvas pixel, so the canvas is not aliased.
    """
    import cv2

    hw, ww = work
    area = abs(cv2.contourArea(project(M, extent_corners(work)).astype(np.float32)))
    ratio = np.sqrt(area / (hw * ww))
    ok = np.full(crop.shape[:2], 255, np.uint8) if usable is None else usable
    if ratio > 1.5:
        ch, cw = crop.shape[:2]
        size = (max(1, round(cw / ratio)), max(1, round(ch / ratio)))
        crop = cv2.resize(crop, size, interpolation=cv2.INTER_AREA)
        ok = cv2.resize(ok, size, interpolation=cv2.INTER_AREA)
        M = pixel_scale(size[0] / cw, size[1] / ch) @ M
    inv = np.linalg.inv(M)
    current = cv2.warpPerspective(crop, inv, (ww, hw), flags=cv2.INTER_LINEAR,
                                  borderMode=cv2.BORDER_REPLICATE)
    valid = cv2.warpPerspective(ok, inv, (ww, hw), flags=cv2.INTER_LINEAR) >= 250
    return current.astype(np.float32), valid
