"""Track one object through a video file or a folder of frames, and draw the result.

    >>> import numpy as np
    >>> frame = np.zeros((40, 60, 3), np.uint8)
    >>> drawn = draw_box(frame, [10, 5, 30, 25], lost=False)
    >>> drawn[5, 20].tolist(), drawn[15, 20].tolist()   # green edge, untouched inside
    ([0, 255, 0], [0, 0, 0])
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.errors import ParameterError, ShapeError
from oculi.track.base import check_frame, create_tracker, xywh_to_xyxy
from oculi.track.evaluate import SequenceResult, track_frames

#: box colours, RGB
TRACKED = (0, 255, 0)
LOST = (255, 0, 0)


def draw_box(frame: np.ndarray, box: Any, *, lost: bool = False, thickness: int = 2,
             label: str | None = None) -> np.ndarray:
    """A copy of ``frame`` with ``box`` drawn: green while tracked, red when lost.

    Args:
        frame: HxWx3 uint8 RGB.
        box: xyxy pixels (the rectangle's outer edge is drawn on the pixels ``x1`` .. ``x2 - 1``).
        lost: draw in red.
        thickness: line width, pixels (drawn inwards).
        label: optional text above the box.

    Returns:
        HxWx3 uint8 RGB.
    """
    import cv2

    out = check_frame(frame).copy()
    b = np.asarray(box, dtype=np.float64)
    if b.shape != (4,) or not np.isfinite(b).all():
        raise ShapeError(f"box: expected 4 finite numbers x1, y1, x2, y2, got {box!r}")
    colour = LOST if lost else TRACKED
    x1, y1 = round(b[0]), round(b[1])
    x2, y2 = round(b[2]) - 1, round(b[3]) - 1
    t = max(int(thickness), 1)
    for k in range(t):  # inwards, so a box on the frame border stays visible
        cv2.rectangle(out, (x1 + k, y1 + k), (x2 - k, y2 - k), colour, 1)
    if label:
        cv2.putText(out, label, (max(x1, 0), max(y1 - 4, 10)), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                    colour, 1, cv2.LINE_AA)
    return out


def parse_box(text: str, *, fmt: str = "xywh") -> np.ndarray:
    """Parse ``"x,y,w,h"`` (or ``"x1,y1,x2,y2"`` with ``fmt="xyxy"``) into (4,) float32 xyxy.

    Raises:
        ParameterError: not four comma-separated numbers, or an unknown ``fmt``.
    """
    try:
        values = [float(v) for v in text.replace(" ", "").split(",")]
    except ValueError:
        values = []
    if len(values) != 4:
        raise ParameterError(f"--init: expected four numbers x,y,w,h, got {text!r}")
    if fmt == "xywh":
        return xywh_to_xyxy(values)
    if fmt == "xyxy":
        return np.asarray(values, np.float32)
    raise ParameterError(f"fmt: expected xywh or xyxy, got {fmt!r}")


@dataclass
class VideoTrack:
    """What :func:`track_object` returns.

    Attributes:
        source: the video file or frame folder.
        result: the tracker's boxes, scores, lost flags, times and skipped frames.
        video_fps: the input's frame rate.
        out: the annotated video written, or None.
    """

    source: str
    result: SequenceResult
    video_fps: float
    out: Path | None = None
    options: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready: per-frame boxes (xyxy), lost flags, skipped frames, speeds."""
        r = self.result
        return {"source": self.source, "method": r.tracker, "frames": len(r.boxes),
                "lost_frames": int(r.lost.sum()), "tracker_fps": r.fps,
                "video_fps": self.video_fps, "out": str(self.out) if self.out else None,
                "boxes_xyxy": r.boxes.round(2).tolist(), "lost": r.lost.tolist(),
                "skipped": {str(k): v for k, v in r.skipped.items()}}


class _Annotator:
    """Draws each frame's box and writes it; a skipped frame repeats the last drawn frame."""

    def __init__(self, writer: Any, method: str) -> None:
        self.writer, self.method, self.last = writer, method, None

    def __call__(self, index: int, frame: np.ndarray | None, box: np.ndarray,
                 lost: bool) -> None:
        if frame is not None:
            label = f"{self.method}{' lost' if lost else ''} #{index}"
            self.last = draw_box(frame, box, lost=lost, label=label)
        if self.last is not None:
            self.writer.write(self.last)


def track_object(source: str | os.PathLike[str], init_box: Any, *, method: str = "csrt",
                out: str | os.PathLike[str] | None = None, options: dict[str, Any] | None = None,
                progress: bool | None = None) -> VideoTrack:
    """Track the object inside ``init_box`` on the first frame through a whole video.

    A frame that cannot be decoded is skipped and reported (its box repeats the last one, and
    the annotated video repeats the last drawn frame, so its length and timing are kept).

    Args:
        source: a video file (read by :func:`oculi.video.open_video`) or a folder of frames.
        init_box: the object on frame 0, xyxy pixels (:func:`parse_box` reads ``x,y,w,h``).
        method: a tracker name (``single_trackers.names()``).
        out: optional annotated video (``.mp4`` H.264, ...): the box in green, red when lost.
        options: the tracker's settings (e.g. ``{"model_dir": ...}`` for ``nanotrack``).
        progress: show a progress bar (None: when stderr is a terminal).

    Returns:
        A :class:`VideoTrack`.

    Raises:
        ImageReadError: ``source`` is missing or not a video / frame folder; frame 0 unreadable.
        ParameterError: ``init_box`` of zero size or outside frame 0.
        UnknownNameError: unknown method.
    """
    from oculi.video import VideoWriter, open_video

    options = dict(options or {})
    tracker = create_tracker(method, **options)
    with open_video(source) as reader:
        n, fps = len(reader), float(reader.fps)
        if out is None:
            result = track_frames(tracker, reader.read, n, init_box, name=Path(source).name,
                                  tracker_name=method, progress=progress)
        else:
            with VideoWriter(out, fps=fps) as writer:
                result = track_frames(tracker, reader.read, n, init_box,
                                      name=Path(source).name, tracker_name=method,
                                      on_frame=_Annotator(writer, method), progress=progress)
    return VideoTrack(str(source), result, fps, Path(out) if out is not None else None, options)


def track_strip(frames: list[np.ndarray], results: dict[str, np.ndarray],
                gt: np.ndarray | None = None, *, indices: list[int] | None = None,
                height: int = 160) -> np.ndarray:
    """A strip of a few frames side by side with each tracker's box (and the ground truth).

    Args:
        frames: HxWx3 uint8 RGB frames.
        results: tracker name -> (N, 4) xyxy boxes, one per frame.
        gt: optional (N, 4) ground truth, drawn in white.
        indices: frames to show (default: 5 spread over the sequence).
        height: the strip's height in pixels (frames are scaled to it).

    Returns:
        HxW'x3 uint8 RGB.
    """
    import cv2

    n = len(frames)
    indices = indices or sorted({round(v) for v in np.linspace(0, n - 1, 5)})
    palette = [(0, 255, 0), (255, 160, 0), (0, 200, 255), (255, 0, 255), (255, 255, 0)]
    tiles = []
    for i in indices:
        tile = frames[i].copy()
        if gt is not None:
            tile = _rect(tile, gt[i], (255, 255, 255))
        for k, boxes in enumerate(results.values()):
            tile = _rect(tile, boxes[i], palette[k % len(palette)])
        cv2.putText(tile, f"#{i}", (4, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (255, 255, 255), 1,
                    cv2.LINE_AA)
        scale = height / tile.shape[0]
        tiles.append(cv2.resize(tile, (round(tile.shape[1] * scale), height),
                                interpolation=cv2.INTER_AREA))
    return np.hstack(tiles)


def _rect(frame: np.ndarray, box: np.ndarray, colour: tuple[int, int, int]) -> np.ndarray:
    import cv2

    b = np.asarray(box, dtype=np.float64)
    if not np.isfinite(b).all():
        return frame
    cv2.rectangle(frame, (round(b[0]), round(b[1])), (round(b[2]) - 1, round(b[3]) - 1),
                  colour, 2)
    return frame


__all__ = [
    "LOST",
    "TRACKED",
    "VideoTrack",
    "draw_box",
    "parse_box",
    "track_object",
    "track_strip",
]
