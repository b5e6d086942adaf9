"""Which frames of a clip a model sees: uniform segments (TSN), dense windows, multi-clip test.

A sampler maps a clip's frame count to frame indices; it never touches pixels, so the index
arithmetic is testable on its own and :func:`oculi.action.load_clip` decodes only those frames.
Each sampler states :attr:`min_frames`, the shortest clip it can serve; give it to the data set
(``min_frames=``) so shorter clips are reported as bad up front instead of failing mid-run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from oculi.core.errors import DataError, ParameterError


def _check_positive_int(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ParameterError(f"{name}: expected a positive integer, got {value!r}")


def _rng(rng: np.random.Generator | int | None) -> np.random.Generator:
    return rng if isinstance(rng, np.random.Generator) else np.random.default_rng(rng)


def _segment_bounds(n_frames: int, segments: int) -> tuple[np.ndarray, np.ndarray]:
    """(first, one past the last) frame of each of ``segments`` equal parts of ``n_frames``
    (``hi > lo`` when ``n_frames >= segments``)."""
    edges = np.arange(segments + 1) * n_frames / segments
    return (np.ceil(edges[:-1] - 1e-9).astype(np.int64),
            np.ceil(edges[1:] - 1e-9).astype(np.int64))


class _Sampler:
    min_frames: int

    def _check(self, n_frames: int) -> None:
        if n_frames < self.min_frames:
            raise DataError(f"clip of {n_frames} frame(s): {type(self).__name__} needs at least "
                            f"{self.min_frames}")


@dataclass(frozen=True)
class UniformSegments(_Sampler):
    """TSN sampling: split the clip into ``segments`` equal parts and take one frame of each.

    Attributes:
        segments: number of segments K (= frames returned).
        train: ``True``: a random frame in each segment; ``False``: the segment's centre frame.

    Calling it with a frame count ``n`` returns a ``(K,)`` int64 array of increasing indices in
    ``[0, n)``; segment ``k`` covers frames ``[k*n/K, (k+1)*n/K)``.
    """

    segments: int
    train: bool = False

    def __post_init__(self) -> None:
        _check_positive_int("segments", self.segments)

    @property
    def min_frames(self) -> int:  # type: ignore[override]
        return self.segments

    def __call__(self, n_frames: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        self._check(n_frames)
        lo, hi = _segment_bounds(n_frames, self.segments)
        if self.train:
            return lo + (_rng(rng).random(self.segments) * (hi - lo)).astype(np.int64)
        return (lo + hi - 1) // 2


@dataclass(frozen=True)
class DenseClip(_Sampler):
    """Dense sampling: ``length`` frames ``stride`` apart.

    Attributes:
        length: frames per clip L.
        stride: step between frames s; the window spans ``(L - 1) * s + 1`` frames.
        train: ``True``: a random start; ``False``: the window centred in the clip.

    Returns ``(L,)`` int64 indices ``start + s * arange(L)``.
    """

    length: int
    stride: int = 1
    train: bool = False

    def __post_init__(self) -> None:
        _check_positive_int("length", self.length)
        _check_positive_int("stride", self.stride)

    @property
    def span(self) -> int:
        """Frames covered by one window."""
        return (self.length - 1) * self.stride + 1

    @property
    def min_frames(self) -> int:  # type: ignore[override]
        return self.span

    def __call__(self, n_frames: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        self._check(n_frames)
        room = n_frames - self.span
        start = int(_rng(rng).integers(0, room + 1)) if self.train else room // 2
        return start + self.stride * np.arange(self.length, dtype=np.int64)


@dataclass(frozen=True)
class MultiClip(_Sampler):
    """Test-time sampling: ``clips`` dense windows with evenly spaced starts (first at frame 0,
    last ending on the last frame); average the model's scores over them.

    Attributes:
        clips: number of windows N.
        length: frames per window L.
        stride: step between frames s.

    Returns an ``(N, L)`` int64 array; with one window it is the centred window.
    """

    clips: int
    length: int
    stride: int = 1

    def __post_init__(self) -> None:
        _check_positive_int("clips", self.clips)
        _check_positive_int("length", self.length)
        _check_positive_int("stride", self.stride)

    @property
    def min_frames(self) -> int:  # type: ignore[override]
        return (self.length - 1) * self.stride + 1

    def __call__(self, n_frames: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        self._check(n_frames)
        room = n_frames - self.min_frames
        if self.clips == 1:
            starts = np.array([room // 2], dtype=np.int64)
        else:
            starts = np.round(np.linspace(0, room, self.clips)).astype(np.int64)
        return starts[:, None] + self.stride * np.arange(self.length, dtype=np.int64)[None, :]


@dataclass(frozen=True)
class MultiSegments(_Sampler):
    """Test-time TSN sampling: ``clips`` samplings of ``segments`` segments, clip ``j`` taking
    the frame at fraction ``(j + 1/2) / clips`` of every segment; average the model's scores
    over them.

    Attributes:
        clips: number of samplings N.
        segments: segments (frames) per clip K.

    Returns an ``(N, K)`` int64 array; with one clip it is :class:`UniformSegments`' test
    sampling (every segment's centre frame).
    """

    clips: int
    segments: int

    def __post_init__(self) -> None:
        _check_positive_int("clips", self.clips)
        _check_positive_int("segments", self.segments)

    @property
    def min_frames(self) -> int:  # type: ignore[override]
        return self.segments

    def __call__(self, n_frames: int, rng: np.random.Generator | int | None = None) -> np.ndarray:
        self._check(n_frames)
        lo, hi = _segment_bounds(n_frames, self.segments)
        length = hi - lo
        frac = (np.arange(self.clips) + 0.5) / self.clips
        offset = np.floor(frac[:, None] * length[None, :] - 0.5 + 1e-9).astype(np.int64)
        return lo[None, :] + np.clip(offset, 0, length[None, :] - 1)
