"""Tracking: single-object trackers behind one registry, OTB/VOT sequences, OTB evaluation.

Boxes are xyxy float pixels, 0-based (docs/conventions.md, docs/track.md). Trackers
(``single_trackers.names()``: OpenCV's, see :mod:`oculi.track.opencv`, and oculi's ``dcf``) are
created by name::

    tracker = create_tracker("csrt")
    tracker.init(first_frame, box)          # HxWx3 uint8 RGB, xyxy
    result = tracker.update(next_frame)     # TrackResult(box, score, lost)

``track_object(video, box)`` follows one object through a video file or a frame folder;
``load_sequence`` reads OTB and VOT folders, ``evaluate_trackers`` scores trackers on them
(success AUC, precision at 20 px, normalised precision, FPS); ``synthetic_sequence`` renders
a sequence with exact ground truth.
"""

from typing import Any

from oculi.core.registry import lazy
from oculi.track import opencv  # registers OpenCV's trackers in single_trackers
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
from oculi.track.datasets import Sequence, load_otb, load_sequence, load_vot
from oculi.track.evaluate import (
    SequenceResult,
    TrackerComparison,
    box_iou,
    centre_error,
    evaluate_sequence,
    evaluate_trackers,
    run_sequence,
    success_plot,
)
from oculi.track.run import VideoTrack, draw_box, track_object
from oculi.track.synthetic import synthetic_sequence

# dcf imports numba and its cached kernels (~1.5 s): registered lazily, imported on first use
single_trackers.register(
    "dcf", lazy("oculi.track.dcf", "DCFTracker"), family="oculi", needs=(), scored=True,
    help="oculi: correlation filter on HOG + colour, colour-histogram model, DSST scale filter",
)


def __getattr__(name: str) -> Any:
    if name == "dcf":  # ``oculi.track.dcf`` without importing it at package import
        import importlib

        return importlib.import_module("oculi.track.dcf")
    raise AttributeError(f"module 'oculi.track' has no attribute {name!r}")


__all__ = [
    "Sequence",
    "SequenceResult",
    "SingleTracker",
    "TrackResult",
    "TrackerComparison",
    "VideoTrack",
    "box_iou",
    "centre_error",
    "check_box",
    "check_frame",
    "create_tracker",
    "dcf",
    "draw_box",
    "evaluate_sequence",
    "evaluate_trackers",
    "load_otb",
    "load_sequence",
    "load_vot",
    "opencv",
    "run_sequence",
    "single_trackers",
    "success_plot",
    "synthetic_sequence",
    "track_object",
    "xywh_to_xyxy",
    "xyxy_to_xywh",
]
