"""Tracking: single-object trackers behind one registry, OTB/VOT sequences, OTB evaluation.

Boxes are xyxy float pixels, 0-based (docs/conventions.md, docs/track.md). Trackers
(``single_trackers.names()``) are created by name::

    tracker = create_tracker("csrt")
    tracker.init(first_frame, box)          # HxWx3 uint8 RGB, xyxy
    result = tracker.update(next_frame)     # TrackResult(box, score, lost)
"""

from oculi.track import opencv
from oculi.track.base import (
    SingleTracker,
    TrackResult,
    check_box,
    check_frame,
    create_tracker,
    single_trackers,
    xywh_to_xyxy,
    xyxy_to_xywh,
)

__all__ = [
    "SingleTracker",
    "TrackResult",
    "check_box",
    "check_frame",
    "create_tracker",
    "opencv",
    "single_trackers",
    "xywh_to_xyxy",
    "xyxy_to_xywh",
]
