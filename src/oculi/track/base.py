"""The single-object tracking contract: one result type, one protocol, one registry, box checks.

Boxes are ``xyxy`` float pixels (docs/conventions.md): ``(x1, y1, x2, y2)`` with ``(x1, y1)`` the
0-based coordinate of the top-left pixel and ``x2 - x1``, ``y2 - y1`` the width and height in
pixels, so an OpenCV ``Rect(x, y, w, h)`` is the box ``(x, y, x + w, y + h)``. OTB, VOT and MOT
files store ``x, y, w, h``: convert with :func:`xywh_to_xyxy` / :func:`xyxy_to_xywh`.

    >>> import numpy as np
    >>> xywh_to_xyxy([10, 20, 30, 40]).tolist()
    [10.0, 20.0, 40.0, 60.0]
    >>> check_box([-5, 10, 20, 30], (100, 200, 3)).tolist()   # partly outside: clipped
    [0.0, 10.0, 20.0, 30.0]
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from oculi.core.checks import check_image
from oculi.core.errors import ParameterError, ShapeError
from oculi.core.registry import Registry


@dataclass(frozen=True)
class TrackResult:
    """One frame's answer of a single-object tracker.

    Attributes:
        box: (4,) float32 xyxy pixels; the last known box when the tracker is lost.
        score: the tracker's confidence (its own scale; NaN when the method has none).
        lost: True when the tracker reports failure (target lost or occluded).
    """

    box: np.ndarray
    score: float
    lost: bool


@runtime_checkable
class SingleTracker(Protocol):
    """What every entry of :data:`single_trackers` creates.

    ``init`` starts (or restarts) tracking the object inside ``box`` on ``frame``; ``update``
    follows it on the next frame. Frames are HxWx3 uint8 RGB of one size.
    """

    def init(self, frame: np.ndarray, box: Sequence[float]) -> None:
        """Start tracking: ``frame`` HxWx3 uint8 RGB, ``box`` xyxy pixels."""
        ...

    def update(self, frame: np.ndarray) -> TrackResult:
        """The object's box on the next frame (HxWx3 uint8 RGB, same size as the first)."""
        ...


#: Single-object trackers: factories ``fn(**options) -> SingleTracker``. Metadata: ``family``
#: (``"opencv"``, ``"opencv-legacy"``, ``"siamese"``, ``"oculi"``) and ``needs`` (``"onnx"``
#: when the caller must give model files), ``scored`` (True when ``TrackResult.score`` is set).
single_trackers: Registry = Registry("single-object tracker")


def create_tracker(name: str, **options: Any) -> SingleTracker:
    """Create a registered single-object tracker by name.

    Args:
        name: a name from ``single_trackers.names()`` (case-insensitive, ``_`` = ``-``).
        **options: the tracker's settings (e.g. ``model_dir=`` for ``nanotrack``).

    Returns:
        A new, uninitialised tracker: call ``init(frame, box)`` then ``update(frame)``.

    Raises:
        UnknownNameError: unknown name (the message lists close names).
        ParameterError: an option the tracker does not take.
    """
    return single_trackers.create(name, **options)


def check_frame(frame: Any, name: str = "frame") -> np.ndarray:
    """Validate a tracking frame: an HxWx3 uint8 RGB array of at least 2x2 pixels.

    Returns:
        The frame, C-contiguous (a copy only when it was not).

    Raises:
        DTypeError, ShapeError: not a uint8 HxWx3 array.
    """
    check_image(frame, name, channels=(3,), dtypes=("uint8",), min_size=2)
    return np.ascontiguousarray(frame)


def check_box(box: Any, frame_shape: Sequence[int], name: str = "box") -> np.ndarray:
    """Validate a box against a frame and return it as (4,) float32 xyxy pixels.

    A box partly outside the frame is clipped to it (``[0, W] x [0, H]``).

    Args:
        box: four numbers ``x1, y1, x2, y2`` (pixels, ``x2 > x1``, ``y2 > y1``).
        frame_shape: the frame's shape ``(H, W)`` or ``(H, W, C)``.
        name: the argument name used in messages.

    Returns:
        (4,) float32 xyxy, inside the frame.

    Raises:
        ShapeError: not four numbers.
        ParameterError: a NaN or infinite coordinate, zero or negative width or height, or a box
            entirely outside the frame.
    """
    try:
        arr = np.asarray(box, dtype=np.float64)
    except (TypeError, ValueError):
        raise ShapeError(f"{name}: expected 4 numbers x1, y1, x2, y2, got {box!r}") from None
    if arr.shape != (4,):
        raise ShapeError(f"{name}: expected 4 numbers x1, y1, x2, y2, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ParameterError(f"{name}: expected finite coordinates, got {arr.tolist()}")
    x1, y1, x2, y2 = arr.tolist()
    if x2 <= x1 or y2 <= y1:
        raise ParameterError(
            f"{name}: zero-size box {_fmt(arr)} (width {x2 - x1:g}, height {y2 - y1:g}); "
            "expected x2 > x1 and y2 > y1 in xyxy pixels"
        )
    h, w = int(frame_shape[0]), int(frame_shape[1])
    clipped = np.array([min(max(x1, 0.0), w), min(max(y1, 0.0), h),
                        min(max(x2, 0.0), w), min(max(y2, 0.0), h)])
    if clipped[2] <= clipped[0] or clipped[3] <= clipped[1]:
        raise ParameterError(f"{name}: box {_fmt(arr)} lies outside the {w}x{h} frame")
    return clipped.astype(np.float32)


def _fmt(arr: np.ndarray) -> str:
    return "(" + ", ".join(f"{v:g}" for v in arr.tolist()) + ")"


def _as_boxes(boxes: Any, name: str) -> tuple[np.ndarray, bool]:
    arr = np.asarray(boxes, dtype=np.float64)
    single = arr.ndim == 1
    arr2 = arr.reshape(1, -1) if single else arr
    if arr2.ndim != 2 or arr2.shape[1] != 4:
        raise ShapeError(f"{name}: expected (4,) or (N, 4) boxes, got shape {arr.shape}")
    return arr2, single


def _shift_corner(boxes: Any, sign: float) -> np.ndarray:
    """Columns 2:4 plus (``+1``: xywh -> xyxy) or minus (``-1``: xyxy -> xywh) columns 0:2."""
    arr, single = _as_boxes(boxes, "boxes")
    out = np.concatenate([arr[:, :2], arr[:, 2:] + sign * arr[:, :2]], axis=1).astype(np.float32)
    return out[0] if single else out


def xywh_to_xyxy(boxes: Any) -> np.ndarray:
    """``x, y, w, h`` (top-left corner, width, height) to ``x1, y1, x2, y2``.

    Args:
        boxes: (4,) or (N, 4) numbers, pixels.

    Returns:
        float32 array of the same shape.

    Raises:
        ShapeError: not (4,) or (N, 4).
    """
    return _shift_corner(boxes, +1.0)


def xyxy_to_xywh(boxes: Any) -> np.ndarray:
    """``x1, y1, x2, y2`` to ``x, y, w, h`` (top-left corner, width, height).

    Args:
        boxes: (4,) or (N, 4) numbers, pixels.

    Returns:
        float32 array of the same shape.

    Raises:
        ShapeError: not (4,) or (N, 4).
    """
    return _shift_corner(boxes, -1.0)


__all__ = [
    "SingleTracker",
    "TrackResult",
    "check_box",
    "check_frame",
    "create_tracker",
    "single_trackers",
    "xywh_to_xyxy",
    "xyxy_to_xywh",
]
