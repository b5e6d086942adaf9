"""Video frames in and out through OpenCV, as RGB uint8 arrays."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import ClassVar

import numpy as np

from oculi.core.checks import check_image
from oculi.core.errors import ImageReadError, ImageWriteError, ShapeError


def _open_capture(path: Path):
    import cv2

    if not path.is_file():
        raise ImageReadError(f"{path}: no such file")
    cap = cv2.VideoCapture(str(path))
    if not cap.isOpened():
        raise ImageReadError(f"{path}: cannot open as a video")
    return cap


def iter_video_frames(
    path: str | os.PathLike[str], *, step: int = 1, max_frames: int | None = None
) -> Iterator[np.ndarray]:
    """Yield the frames of a video file as HxWx3 uint8 RGB arrays.

    Args:
        path: any container/codec OpenCV's FFmpeg backend reads (mp4, avi, mkv, ...).
        step: yield every ``step``-th frame.
        max_frames: stop after this many yielded frames.

    Raises:
        ImageReadError: the file is missing or OpenCV cannot open it as a video.
    """
    import cv2

    p = Path(path)
    cap = _open_capture(p)
    try:
        index = yielded = 0
        while max_frames is None or yielded < max_frames:
            ok, frame = cap.read()
            if not ok:
                break
            if index % step == 0:
                yielded += 1
                yield cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)
            index += 1
        if index == 0:
            raise ImageReadError(f"{p}: the video has no readable frames")
    finally:
        cap.release()


def video_info(path: str | os.PathLike[str]) -> dict[str, float]:
    """Frame count, frames per second, width and height of a video file."""
    import cv2

    cap = _open_capture(Path(path))
    try:
        return {
            "frames": int(cap.get(cv2.CAP_PROP_FRAME_COUNT)),
            "fps": float(cap.get(cv2.CAP_PROP_FPS)),
            "width": int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)),
            "height": int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
        }
    finally:
        cap.release()


class VideoWriter:
    """Write RGB frames to a video file; the file appears under its name only when closed.

    Example::

        with VideoWriter("out.mp4", fps=25) as vw:
            for frame in frames:
                vw.write(frame)

    Args:
        path: output file; ``.mp4`` (mp4v), ``.avi`` (MJPG) or ``.mkv``.
        fps: frames per second.
        fourcc: four-character codec code, overriding the default for the suffix.
    """

    _DEFAULT_FOURCC: ClassVar[dict[str, str]] = {
        ".mp4": "mp4v",
        ".avi": "MJPG",
        ".mkv": "mp4v",
        ".mov": "mp4v",
    }

    def __init__(self, path: str | os.PathLike[str], fps: float = 25.0, fourcc: str | None = None):
        self.path = Path(path)
        code = fourcc or self._DEFAULT_FOURCC.get(self.path.suffix.lower())
        if code is None:
            raise ImageWriteError(
                f"{self.path}: unknown video suffix; use .mp4, .avi, .mkv or .mov"
            )
        self.fps = float(fps)
        self._fourcc = code
        self._tmp = self.path.with_name(f".{self.path.stem}.tmp{self.path.suffix}")
        self._writer = None
        self._size: tuple[int, int] | None = None
        self.frames = 0

    def write(self, frame: np.ndarray) -> None:
        """Append one HxWx3 uint8 RGB (or HxW gray) frame; all frames must share one size."""
        import cv2

        check_image(frame, "frame", channels=(1, 3), dtypes=("uint8",))
        h, w = frame.shape[:2]
        if self._writer is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._writer = cv2.VideoWriter(
                str(self._tmp), cv2.VideoWriter_fourcc(*self._fourcc), self.fps, (w, h)
            )
            if not self._writer.isOpened():
                raise ImageWriteError(f"{self.path}: OpenCV cannot write {self._fourcc} video")
            self._size = (h, w)
        elif (h, w) != self._size:
            raise ShapeError(f"frame: expected {self._size[0]}x{self._size[1]}, got {h}x{w}")
        bgr = cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR if frame.ndim == 2 else cv2.COLOR_RGB2BGR)
        self._writer.write(bgr)
        self.frames += 1

    def close(self) -> Path:
        """Finish the file and move it into place."""
        if self._writer is not None:
            self._writer.release()
            self._writer = None
            os.replace(self._tmp, self.path)
        return self.path

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            self.close()
        else:
            if self._writer is not None:
                self._writer.release()
                self._writer = None
            if self._tmp.exists():
                self._tmp.unlink()
