"""Writing video: H.264 in mp4 (yuv420p, the frame rate kept) through PyAV, atomically — the file
appears under its name only when complete, with the user's umask."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from oculi.core.checks import check_image
from oculi.core.errors import ImageWriteError, ParameterError, ShapeError

#: container suffix -> (codec, pixel format)
CODECS: dict[str, tuple[str, str]] = {
    ".mp4": ("libx264", "yuv420p"),
    ".mkv": ("libx264", "yuv420p"),
    ".mov": ("libx264", "yuv420p"),
    ".avi": ("mjpeg", "yuvj420p"),
    ".webm": ("libvpx-vp9", "yuv420p"),
}


class VideoWriter:
    """Append RGB frames to a video file.

    Example::

        with VideoWriter("out.mp4", fps=25) as vw:
            for frame in frames:
                vw.write(frame)

    Args:
        path: ``.mp4``/``.mkv``/``.mov`` (H.264), ``.avi`` (MJPEG) or ``.webm`` (VP9).
        fps: frames per second (a positive number; fractions such as 29.97 are kept exactly to
            1/1000).
        quality: H.264 constant rate factor (0 lossless .. 51; 18 looks transparent).

    Frames are HxWx3 uint8 RGB (or HxW gray), all of one size. yuv420p needs even sides: an odd
    height or width is padded by repeating the last row or column (and reported in
    :attr:`padded`).
    """

    def __init__(self, path: str | os.PathLike[str], fps: float = 25.0, *,
                 quality: int = 18) -> None:
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in CODECS:
            raise ImageWriteError(f"{self.path}: unknown video suffix; use "
                                  f"{', '.join(CODECS)}")
        if not fps or fps <= 0 or not np.isfinite(fps):
            raise ParameterError(f"fps: expected a positive number, got {fps!r}")
        if not 0 <= quality <= 51:
            raise ParameterError(f"quality: expected 0..51, got {quality}")
        self.fps, self.quality = float(fps), int(quality)
        self._codec, self._pix_fmt = CODECS[suffix]
        self._container: Any = None
        self._stream: Any = None
        self._atomic: Any = None
        self._size: tuple[int, int] | None = None
        self.padded = False
        self.frames = 0

    def _open(self, h: int, w: int) -> None:
        import av

        from oculi.core.atomic import atomic_path

        self._atomic = atomic_path(self.path)
        tmp = self._atomic.__enter__()
        from fractions import Fraction

        self._container = av.open(str(tmp), "w")
        self._stream = self._container.add_stream(
            self._codec, rate=Fraction(self.fps).limit_denominator(1000))
        self._stream.width, self._stream.height = w + w % 2, h + h % 2
        self._stream.pix_fmt = self._pix_fmt
        if self._codec == "libx264":
            self._stream.options = {"crf": str(self.quality), "preset": "medium"}
        self._size = (h, w)
        self.padded = bool(h % 2 or w % 2)

    def write(self, frame: np.ndarray) -> None:
        """Append one frame (HxWx3 uint8 RGB or HxW uint8 gray)."""
        import av

        check_image(frame, "frame", channels=(1, 3), dtypes=("uint8",))
        rgb = np.repeat(frame[..., None], 3, axis=2) if frame.ndim == 2 else frame
        h, w = rgb.shape[:2]
        if self._container is None:
            self._open(h, w)
        elif (h, w) != self._size:
            raise ShapeError(f"frame {self.frames}: expected {self._size[0]}x{self._size[1]}, "
                             f"got {h}x{w}")
        if self.padded:
            rgb = np.pad(rgb, ((0, h % 2), (0, w % 2), (0, 0)), mode="edge")
        vf = av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")
        for packet in self._stream.encode(vf):
            self._container.mux(packet)
        self.frames += 1

    def close(self) -> Path:
        """Flush the encoder and move the file into place."""
        if self._container is None:
            raise ImageWriteError(f"{self.path}: no frames were written")
        for packet in self._stream.encode():
            self._container.mux(packet)
        self._container.close()
        self._container = None
        self._atomic.__exit__(None, None, None)
        return self.path

    def _abort(self) -> None:
        if self._container is not None:
            with contextlib.suppress(Exception):
                self._container.close()
            self._container = None
            err = ImageWriteError("aborted")
            with contextlib.suppress(ImageWriteError):
                self._atomic.__exit__(type(err), err, None)

    def __enter__(self) -> VideoWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        if exc_type is None:
            self.close()
        else:
            self._abort()


def write_video(path: str | os.PathLike[str], frames: Iterable[np.ndarray], fps: float = 25.0,
                *, quality: int = 18) -> Path:
    """Write ``frames`` (HxWx3 uint8 RGB each) to a video file atomically; returns the path."""
    with VideoWriter(path, fps, quality=quality) as vw:
        for frame in frames:
            vw.write(frame)
    return Path(path)
