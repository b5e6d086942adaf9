"""Frame-accurate video reading: a video file (PyAV, OpenCV as the fallback) or a folder of
frames, behind one reader.

Frames are HxWx3 uint8 RGB arrays, like every image in oculi. Frame ``i`` is the ``i``-th frame in
presentation order; :meth:`VideoReader.read` returns exactly the pixels a sequential decode gives
for it (PyAV: the packet index gives every frame's timestamp, a seek lands on the keyframe before
it and decoding goes on to that timestamp).

    >>> import numpy as np, tempfile, pathlib
    >>> from oculi.video import write_video
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "a.mp4"
    >>> frames = [np.full((48, 64, 3), 10 * i, np.uint8) for i in range(12)]
    >>> _ = write_video(path, frames, fps=12)
    >>> with open_video(path) as video:
    ...     len(video), video.fps, video.size, video.read(5).shape
    (12, 12.0, (48, 64), (48, 64, 3))
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np

from oculi.core.errors import DataError, ImageReadError, MissingDependencyError, ParameterError

#: image suffixes a frame folder may hold
FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp", ".ppm", ".pgm")


@dataclass(frozen=True)
class VideoInfo:
    """Facts of a video.

    Attributes:
        path: the file or folder.
        frames: number of frames.
        fps: frames per second (a folder: the ``fps`` it was opened with).
        size: ``(height, width)`` in pixels.
        duration: seconds (``frames / fps``).
        codec: the codec name (``"frames"`` for a folder).
        backend: ``"pyav"``, ``"opencv"`` or ``"folder"``.
    """

    path: str
    frames: int
    fps: float
    size: tuple[int, int]
    duration: float
    codec: str
    backend: str

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "frames": self.frames, "fps": self.fps,
                "height": self.size[0], "width": self.size[1], "duration_s": self.duration,
                "codec": self.codec, "backend": self.backend}


class VideoReader:
    """Common interface: ``len``, :attr:`fps`, :attr:`size`, :meth:`read` (frame ``i``),
    :meth:`timestamps`, iteration in order, :meth:`clip`, context manager."""

    path: Path
    fps: float
    size: tuple[int, int]
    codec: str = ""
    backend: str = ""

    def __len__(self) -> int:
        raise NotImplementedError

    def read(self, index: int) -> np.ndarray:
        """Frame ``index`` (0-based; negative counts from the end) as HxWx3 uint8 RGB."""
        raise NotImplementedError

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self.read(i)

    def timestamps(self) -> np.ndarray:
        """(N,) float64 presentation time of every frame, seconds from the first."""
        return np.arange(len(self), dtype=np.float64) / self.fps

    def clip(self, start: int = 0, length: int | None = None, stride: int = 1) -> np.ndarray:
        """Frames ``start, start + stride, ...`` (``length`` of them; None: to the end) as a
        (T, H, W, 3) uint8 array."""
        start = self._index(start)
        if stride < 1:
            raise ParameterError(f"stride: expected a positive integer, got {stride}")
        stop = len(self) if length is None else start + stride * length
        if length is not None and (length < 1 or stop - stride >= len(self)):
            raise ParameterError(
                f"{self.path}: a clip of {length} frame(s) from {start} with stride {stride} "
                f"ends past the last frame ({len(self) - 1})")
        return np.stack([self.read(i) for i in range(start, stop, stride)])

    @property
    def info(self) -> VideoInfo:
        return VideoInfo(str(self.path), len(self), float(self.fps), self.size,
                         len(self) / self.fps if self.fps else 0.0, self.codec, self.backend)

    def _index(self, index: int) -> int:
        n = len(self)
        i = int(index) + n if index < 0 else int(index)
        if not 0 <= i < n:
            raise ParameterError(f"{self.path}: frame {index} is past the end ({n} frames)")
        return i

    def close(self) -> None:
        """Release the file."""

    def __enter__(self) -> VideoReader:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _natural_key(path: Path) -> list[Any]:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


class FolderReader(VideoReader):
    """A folder of image files as a video, frames in natural name order (``2.png`` before
    ``10.png``)."""

    backend = "folder"
    codec = "frames"

    def __init__(self, folder: str | os.PathLike[str], fps: float = 25.0) -> None:
        from oculi.io import read_image

        self.path = Path(folder)
        self.files = sorted((p for p in self.path.iterdir()
                             if p.suffix.lower() in FRAME_SUFFIXES), key=_natural_key)
        if not self.files:
            raise DataError(f"{self.path}: no frames (image files {', '.join(FRAME_SUFFIXES)})")
        if fps <= 0:
            raise ParameterError(f"fps: expected a positive number, got {fps}")
        self.fps = float(fps)
        self._read = read_image
        first = self._read(self.files[0], mode="rgb")
        self.size = (int(first.shape[0]), int(first.shape[1]))

    def __len__(self) -> int:
        return len(self.files)

    def read(self, index: int) -> np.ndarray:
        frame = self._read(self.files[self._index(index)], mode="rgb")
        if frame.shape[:2] != self.size:
            raise DataError(f"{self.files[index]}: {frame.shape[0]}x{frame.shape[1]}, the other "
                            f"frames are {self.size[0]}x{self.size[1]}")
        return frame


class PyAVReader(VideoReader):
    """A video file through PyAV (FFmpeg): exact frame count and timestamps from the packet
    index, accurate seeking, sequential reads without seeking."""

    backend = "pyav"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        try:
            import av
        except ImportError as exc:  # pragma: no cover - a dependency of oculi
            raise MissingDependencyError("PyAV is not installed (pip install av)") from exc
        self.path = Path(path)
        try:
            self._container = av.open(str(self.path))
        except (av.error.FFmpegError, OSError, ValueError) as exc:
            raise ImageReadError(f"{self.path}: not a readable video ({exc})") from None
        if not self._container.streams.video:
            self._container.close()
            raise ImageReadError(f"{self.path}: no video stream")
        self._stream = self._container.streams.video[0]
        self._stream.thread_type = "AUTO"
        self.codec = self._stream.codec_context.name
        self._pts = self._index_packets()
        if not len(self._pts):
            self._container.close()
            raise DataError(f"{self.path}: the video has no frames")
        rate = self._stream.average_rate or self._stream.guessed_rate
        self.fps = float(rate) if rate else 25.0
        self.size = (int(self._stream.height), int(self._stream.width))
        if min(self.size) <= 0:  # e.g. a text file the PNG demuxer took for one 0x0 frame
            self._container.close()
            raise ImageReadError(f"{self.path}: not a readable video (frame size "
                                 f"{self.size[1]}x{self.size[0]})")
        self._decoder: Iterator[Any] | None = None
        self._next = 0  # index of the frame the running decoder yields next
        self._count_mode = self._pts_out_of_order()

    def _index_packets(self) -> np.ndarray:
        import av

        pts = []
        try:
            for packet in self._container.demux(self._stream):
                if packet.pts is not None and packet.size:
                    pts.append(packet.pts)
        except av.error.FFmpegError:  # a truncated file: keep the packets before the damage
            pass
        self._rewind()
        return np.sort(np.asarray(pts, dtype=np.int64))

    def _rewind(self) -> None:
        """Back to the first packet; containers that cannot seek (an image file taken for a
        one-frame video, a pipe) are opened again."""
        import av

        try:
            self._container.seek(0, stream=self._stream)
        except av.error.FFmpegError:
            self._container.close()
            try:
                self._container = av.open(str(self.path))
            except (av.error.FFmpegError, OSError, ValueError) as exc:
                raise ImageReadError(f"{self.path}: not a readable video ({exc})") from None
            self._stream = self._container.streams.video[0]
            self._stream.thread_type = "AUTO"

    def _pts_out_of_order(self, probe: int = 48) -> bool:
        """Whether decoded frames carry timestamps out of display order (AVI files with packed
        MPEG-4 B-frames: the decoder returns frames in display order labelled 1, 2, 4, 3, ...).
        Such files are read by counting decoded frames, from the start, as OpenCV does."""
        import av

        last = None
        try:
            for n, frame in enumerate(self._container.decode(self._stream)):
                if n >= probe:
                    break
                if frame.pts is None:
                    continue
                if last is not None and frame.pts <= last:
                    return True
                last = frame.pts
        except av.error.FFmpegError:
            pass
        finally:
            self._rewind()
        return False

    def __len__(self) -> int:
        return len(self._pts)

    def timestamps(self) -> np.ndarray:
        tb = float(self._stream.time_base)
        return (self._pts - self._pts[0]).astype(np.float64) * tb

    def _restart(self, index: int) -> None:
        if self._count_mode:  # timestamps unusable: decode from the start and count
            self._container.seek(0, stream=self._stream)
            self._decoder = self._container.decode(self._stream)
            self._next = 0
            return
        target = int(self._pts[index])
        self._container.seek(target, backward=True, any_frame=False, stream=self._stream)
        self._decoder = self._container.decode(self._stream)
        self._next = -1  # unknown until the first frame tells its timestamp

    def _count_until(self, index: int) -> np.ndarray:
        import av

        try:
            for frame in self._decoder:
                self._next += 1
                if self._next - 1 == index:
                    return frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as exc:
            self._decoder = None
            raise DataError(f"{self.path}: frame {index} cannot be decoded ({exc})") from None
        self._decoder = None
        raise DataError(f"{self.path}: frame {index} cannot be decoded (truncated or damaged "
                        "file?)")

    def _decode_until(self, index: int) -> np.ndarray:
        import av

        if self._count_mode:
            return self._count_until(index)
        target = int(self._pts[index])
        try:
            for frame in self._decoder:
                if frame.pts is None:
                    continue
                if frame.pts < target:
                    continue
                if frame.pts > target:  # the frame is missing (damaged stream)
                    break
                self._next = index + 1
                return frame.to_ndarray(format="rgb24")
        except av.error.FFmpegError as exc:
            self._decoder = None
            raise DataError(f"{self.path}: frame {index} cannot be decoded ({exc})") from None
        self._decoder = None
        raise DataError(f"{self.path}: frame {index} cannot be decoded (truncated or damaged "
                        "file?)")

    def read(self, index: int) -> np.ndarray:
        i = self._index(index)
        behind = i < self._next if self._count_mode else i != self._next
        if self._decoder is None or behind:  # counting decoders only move forward
            self._restart(i)
        return self._decode_until(i)

    def __iter__(self) -> Iterator[np.ndarray]:
        self._restart(0)
        for i in range(len(self)):
            yield self._decode_until(i)

    def close(self) -> None:
        self._decoder = None
        self._container.close()


class OpenCVReader(VideoReader):
    """A video file through OpenCV's ``VideoCapture`` (the fallback when PyAV cannot open it).
    Frame access is sequential decoding from the start (slow for random access, but exact)."""

    backend = "opencv"

    def __init__(self, path: str | os.PathLike[str]) -> None:
        # FFmpeg inside OpenCV prints its own complaints ("[png @ 0x...] Invalid PNG
        # signature") on stderr; oculi reports the failure itself. The user's setting wins.
        os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
        import cv2

        self.path = Path(path)
        self._cap = cv2.VideoCapture(str(self.path))
        if not self._cap.isOpened():
            raise ImageReadError(f"{self.path}: not a readable video")
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS)) or 25.0
        self.codec = "opencv"
        count = 0
        while self._cap.grab():
            count += 1
        if count == 0:
            raise DataError(f"{self.path}: the video has no frames")
        self._count = count
        self._cap.set(cv2.CAP_PROP_POS_FRAMES, 0)
        self._pos = 0
        self.size = (int(self._cap.get(cv2.CAP_PROP_FRAME_HEIGHT)),
                     int(self._cap.get(cv2.CAP_PROP_FRAME_WIDTH)))

    def __len__(self) -> int:
        return self._count

    def read(self, index: int) -> np.ndarray:
        import cv2

        i = self._index(index)
        if i < self._pos:
            self._cap.release()
            self._cap = cv2.VideoCapture(str(self.path))
            self._pos = 0
        while self._pos < i:
            self._cap.grab()
            self._pos += 1
        ok, bgr = self._cap.read()
        if not ok:
            raise DataError(f"{self.path}: frame {index} cannot be decoded")
        self._pos += 1
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)

    def close(self) -> None:
        self._cap.release()


def open_video(path: str | os.PathLike[str], *, backend: str = "auto",
               fps: float = 25.0) -> VideoReader:
    """Open a video file or a folder of frames.

    Args:
        path: a video file (mp4, avi, mkv, webm, mov, ...) or a folder of image files.
        backend: ``auto`` (PyAV, else OpenCV), ``pyav`` or ``opencv``; ignored for folders.
        fps: frame rate of a folder of frames.

    Returns:
        A :class:`VideoReader` (use it as a context manager to release the file).

    Raises:
        ImageReadError: missing path, or a file no backend reads as a video.
        DataError: a video without frames, an empty folder.
    """
    p = Path(path)
    if p.is_dir():
        return FolderReader(p, fps=fps)
    if not p.is_file():
        raise ImageReadError(f"{p}: no such video file or folder of frames")
    if backend not in ("auto", "pyav", "opencv"):
        raise ParameterError(f"backend: expected auto, pyav or opencv, got {backend!r}")
    if backend == "opencv":
        return OpenCVReader(p)
    try:
        return PyAVReader(p)
    except ImageReadError:
        if backend == "pyav":
            raise
        try:
            return OpenCVReader(p)
        except ImageReadError:
            raise ImageReadError(f"{p}: not a video (neither PyAV nor OpenCV reads it)") from None


def read_frames(path: str | os.PathLike[str], indices: Sequence[int]) -> np.ndarray:
    """Frames ``indices`` of a video as a (T, H, W, 3) uint8 array (one open, sorted seeks)."""
    with open_video(path) as video:
        order = np.argsort(indices, kind="stable")
        out: list[np.ndarray | None] = [None] * len(indices)
        for k in order:
            out[k] = video.read(int(indices[k]))
        return np.stack(out)  # type: ignore[arg-type]


def iter_video_frames(path: str | os.PathLike[str], *, step: int = 1,
                      max_frames: int | None = None) -> Iterator[np.ndarray]:
    """Yield every ``step``-th frame of a video (HxWx3 uint8 RGB), at most ``max_frames``."""
    if step < 1:
        raise ParameterError(f"step: expected a positive integer, got {step}")
    with open_video(path) as video:
        for k, frame in enumerate(video):
            if max_frames is not None and k // step >= max_frames:
                return
            if k % step == 0:
                yield frame


def video_info(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Frame count, frames per second, width, height (and duration, codec) of a video."""
    with open_video(path) as video:
        return video.info.as_dict()
