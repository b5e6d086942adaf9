"""Pictures of a video: a contact sheet of evenly spaced frames, and frames saved as images."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from oculi.core.errors import ParameterError
from oculi.video.reader import VideoReader, open_video


def sample_indices(frames: int, count: int) -> np.ndarray:
    """``count`` frame indices spread evenly over ``frames`` (first and last included).

    >>> sample_indices(100, 5).tolist()
    [0, 25, 50, 74, 99]
    """
    if count < 1:
        raise ParameterError(f"count: expected a positive integer, got {count}")
    return np.unique(np.rint(np.linspace(0, frames - 1, min(count, frames))).astype(np.int64))


def contact_sheet(video: VideoReader | str | os.PathLike[str], *, count: int = 12,
                  columns: int = 4, width: int = 240, labels: bool = True) -> np.ndarray:
    """A grid of ``count`` evenly spaced frames, each ``width`` pixels wide, with its frame
    number and time (``labels``).

    Returns:
        (H, W, 3) uint8 RGB image.
    """
    import cv2

    from oculi.core.convert import ensure_uint8

    if columns < 1 or width < 8:
        raise ParameterError(f"columns >= 1 and width >= 8 expected, got {columns}, {width}")
    own = not isinstance(video, VideoReader)
    reader = open_video(video) if own else video
    try:
        idx = sample_indices(len(reader), count)
        times = reader.timestamps()
        h, w = reader.size
        th = max(1, round(h * width / w))
        tiles = []
        for i in idx:
            tile = cv2.resize(reader.read(int(i)), (width, th), interpolation=cv2.INTER_AREA)
            if labels:
                text = f"#{int(i)}  {times[i]:.2f}s"
                cv2.putText(tile, text, (5, th - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.4, (0, 0, 0), 3,
                            cv2.LINE_AA)
                cv2.putText(tile, text, (5, th - 6), cv2.FONT_HERSHEY_SIMPLEX, 0.4,
                            (255, 255, 255), 1, cv2.LINE_AA)
            tiles.append(tile)
    finally:
        if own:
            reader.close()
    rows = -(-len(tiles) // columns)
    sheet = np.full((rows * (th + 2), columns * (width + 2), 3), 32, np.uint8)
    for k, tile in enumerate(tiles):
        r, c = divmod(k, columns)
        sheet[r * (th + 2):r * (th + 2) + th, c * (width + 2):c * (width + 2) + width] = tile
    return ensure_uint8(sheet)


def extract_frames(path: str | os.PathLike[str], out: str | os.PathLike[str], *,
                   start: int = 0, stop: int | None = None, step: int = 1,
                   pattern: str = "{index:06d}.png") -> list[Path]:
    """Save frames ``start, start + step, ... < stop`` of a video as images in folder ``out``
    (named by ``pattern`` with the frame index; each written atomically).

    Returns:
        The written paths.
    """
    from oculi.io import write_image

    if step < 1:
        raise ParameterError(f"step: expected a positive integer, got {step}")
    written = []
    with open_video(path) as reader:
        stop = len(reader) if stop is None else min(stop, len(reader))
        first = reader._index(start)
        for i in range(first, stop, step):
            target = Path(out) / pattern.format(index=i)
            write_image(target, reader.read(i))
            written.append(target)
    return written
