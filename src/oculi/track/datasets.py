"""Tracking sequences: frames plus one ground-truth box per frame, read from OTB and VOT folders.

Boxes are (N, 4) float32 xyxy pixels, 0-based: pixel ``(0, 0)`` is the top-left pixel's centre
(docs/conventions.md), and a box ``(x1, y1, x2, y2)`` covers ``x2 - x1`` by ``y2 - y1`` pixels
from the pixel at ``(x1, y1)`` (OpenCV's ``Rect(x, y, w, h)`` is ``(x, y, x + w, y + h)``).

- OTB (``img/*.jpg`` + ``groundtruth_rect.txt``, one ``x y w h`` per line, tab, comma or space
  separated) counts pixels from 1 (MATLAB): :func:`load_otb` subtracts 1 from ``x`` and ``y``.
- VOT (``color/``, ``imgs/`` or the folder itself holding ``*.jpg``, plus ``groundtruth.txt``):
  a line is 8 numbers ``x1,y1,...,x4,y4`` (the corners of a rotated rectangle) or 4 numbers
  ``x,y,w,h``, in 0-based pixel coordinates, used as written. A polygon becomes its axis-aligned
  bounding box (min and max of the corners, as the VOT toolkit converts a polygon to a
  rectangle); :attr:`Sequence.polygons` keeps the corners.

Frames are read lazily (:func:`oculi.io.read_image`, HxWx3 uint8 RGB) or held in memory
(:mod:`oculi.track.synthetic`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from oculi.core.errors import DataError, ShapeError
from oculi.track.base import xywh_to_xyxy

#: image suffixes read as frames
FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff", ".webp")


@dataclass
class Sequence:
    """A tracking sequence: frames and the target's ground-truth box on each.

    Attributes:
        name: the sequence's name (its folder name for OTB/VOT).
        frames: N frame files (read when asked) or N HxWx3 uint8 RGB arrays.
        boxes: (N, 4) float32 xyxy pixels, 0-based; a row of NaN or zero size where the
            ground truth marks the target absent.
        polygons: (N, 8) float32 corners ``x1, y1, ..., x4, y4`` (VOT), or None.
        source: where it came from (a folder, or ``"synthetic"``).
        meta: anything else the reader knows (format, frame size, ...).
    """

    name: str
    frames: list[Any]
    boxes: np.ndarray
    polygons: np.ndarray | None = None
    source: str = ""
    meta: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.boxes = np.asarray(self.boxes, dtype=np.float32)
        if self.boxes.ndim != 2 or self.boxes.shape[1] != 4:
            raise ShapeError(f"{self.name}: boxes: expected (N, 4) xyxy, got {self.boxes.shape}")
        if len(self.frames) != len(self.boxes):
            raise DataError(f"{self.name}: {len(self.frames)} frames but {len(self.boxes)} "
                            "ground-truth boxes; expected one box per frame")
        if not self.frames:
            raise DataError(f"{self.name}: no frames")

    def __len__(self) -> int:
        return len(self.frames)

    def read(self, index: int) -> np.ndarray:
        """Frame ``index`` as HxWx3 uint8 RGB.

        Raises:
            ImageReadError: the frame file is missing or cannot be decoded.
        """
        frame = self.frames[index]
        if isinstance(frame, np.ndarray):
            return frame
        from oculi.io import read_image

        return read_image(frame, mode="rgb")

    def __iter__(self) -> Iterator[np.ndarray]:
        for i in range(len(self)):
            yield self.read(i)

    def __repr__(self) -> str:
        return f"Sequence({self.name!r}, {len(self)} frames, source={self.source!r})"


def _natural_key(path: Path) -> list[Any]:
    return [int(t) if t.isdigit() else t.lower() for t in re.split(r"(\d+)", path.name)]


def frame_files(folder: str | os.PathLike[str]) -> list[Path]:
    """The image files of a folder in natural order (``2.jpg`` before ``10.jpg``)."""
    folder = Path(folder)
    files = [p for p in folder.iterdir() if p.suffix.lower() in FRAME_SUFFIXES and p.is_file()]
    return sorted(files, key=_natural_key)


def read_box_file(path: str | os.PathLike[str]) -> np.ndarray:
    """Read a text file of numbers, one row per line (tab, comma, space or semicolon separated).

    Returns:
        (N, K) float64 (``NaN`` stays NaN); blank lines are skipped.

    Raises:
        DataError: missing file, a non-numeric value, rows of different lengths, or no rows.
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: no such ground-truth file")
    rows = []
    for lineno, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(),
                                  start=1):
        parts = [p for p in re.split(r"[,;\s]+", line.strip()) if p]
        if not parts:
            continue
        try:
            rows.append([float(p) for p in parts])
        except ValueError:
            raise DataError(f"{path}:{lineno}: expected numbers, got {line.strip()[:60]!r}"
                            ) from None
        if len(rows[-1]) != len(rows[0]):
            raise DataError(f"{path}:{lineno}: {len(rows[-1])} numbers, the first line has "
                            f"{len(rows[0])}")
    if not rows:
        raise DataError(f"{path}: no ground-truth lines")
    return np.asarray(rows, dtype=np.float64)


def _frames_in(folder: Path, candidates: tuple[str, ...]) -> list[Path]:
    for sub in candidates:
        d = folder / sub if sub else folder
        if d.is_dir():
            files = frame_files(d)
            if files:
                return files
    where = ", ".join(f"{folder / s}/" if s else f"{folder}/" for s in candidates)
    raise DataError(f"{folder}: no frames found (looked for images in {where})")


def load_otb(folder: str | os.PathLike[str], *, name: str | None = None) -> Sequence:
    """Read an OTB sequence folder: ``img/*.jpg`` and ``groundtruth_rect.txt``.

    OTB boxes are ``x, y, w, h`` with 1-based pixel coordinates; they are returned 0-based
    (``x - 1``, ``y - 1``) as xyxy.

    Args:
        folder: the sequence folder.
        name: the sequence name (default: the folder's name).

    Returns:
        A :class:`Sequence` with lazily read frames.

    Raises:
        DataError: no frames, no or malformed ground truth, or frame and box counts differ.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such sequence folder")
    gt_path = folder / "groundtruth_rect.txt"
    if not gt_path.is_file():
        others = sorted(folder.glob("groundtruth_rect*.txt"))
        if not others:
            raise DataError(f"{folder}: no groundtruth_rect.txt (not an OTB sequence folder)")
        gt_path = others[0]
    rows = read_box_file(gt_path)
    if rows.shape[1] != 4:
        raise DataError(f"{gt_path}: expected 4 numbers x, y, w, h per line, got {rows.shape[1]}")
    frames = _frames_in(folder, ("img", ""))
    if len(frames) != len(rows):
        raise DataError(f"{folder}: {len(frames)} frames but {len(rows)} lines in {gt_path.name}"
                        "; expected one box per frame")
    rows[:, :2] -= 1.0  # 1-based (MATLAB) to 0-based pixel coordinates
    return Sequence(name or folder.name, list(frames), xywh_to_xyxy(rows), None, str(folder),
                    {"format": "otb", "groundtruth": str(gt_path)})


def polygon_to_box(polygons: np.ndarray) -> np.ndarray:
    """Axis-aligned bounding boxes of polygons (the VOT toolkit's polygon-to-rectangle rule).

    Args:
        polygons: (N, 2K) corners ``x1, y1, ..., xK, yK``, pixels.

    Returns:
        (N, 4) float32 xyxy: min and max of the corners.
    """
    p = np.asarray(polygons, dtype=np.float64)
    xs, ys = p[:, 0::2], p[:, 1::2]
    return np.stack([xs.min(1), ys.min(1), xs.max(1), ys.max(1)], axis=1).astype(np.float32)


def load_vot(folder: str | os.PathLike[str], *, name: str | None = None) -> Sequence:
    """Read a VOT sequence folder: frames in ``color/``, ``imgs/`` or the folder itself, and
    ``groundtruth.txt`` (8-number polygons or 4-number ``x, y, w, h`` boxes, 0-based).

    Args:
        folder: the sequence folder.
        name: the sequence name (default: the folder's name).

    Returns:
        A :class:`Sequence` whose boxes are the polygons' axis-aligned bounding boxes and whose
        :attr:`~Sequence.polygons` hold the corners (a 4-number box becomes its 4 corners).

    Raises:
        DataError: no frames, no or malformed ground truth (VOT mask lines are not read), or
            frame and box counts differ.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such sequence folder")
    gt_path = folder / "groundtruth.txt"
    rows = read_box_file(gt_path)
    if rows.shape[1] == 8:
        polygons = rows
        boxes = polygon_to_box(rows)
    elif rows.shape[1] == 4:
        boxes = xywh_to_xyxy(rows)
        x1, y1, x2, y2 = boxes.astype(np.float64).T
        polygons = np.stack([x1, y1, x2, y1, x2, y2, x1, y2], axis=1)
    else:
        raise DataError(f"{gt_path}: expected 8 (polygon) or 4 (x, y, w, h) numbers per line, "
                        f"got {rows.shape[1]}")
    frames = _frames_in(folder, ("color", "imgs", "img", ""))
    if len(frames) != len(rows):
        raise DataError(f"{folder}: {len(frames)} frames but {len(rows)} lines in "
                        f"{gt_path.name}; expected one region per frame")
    return Sequence(name or folder.name, list(frames), boxes, polygons.astype(np.float32),
                    str(folder), {"format": "vot", "groundtruth": str(gt_path)})


def load_sequence(folder: str | os.PathLike[str], *, name: str | None = None) -> Sequence:
    """Read an OTB or a VOT sequence folder, whichever it is.

    ``groundtruth_rect.txt`` marks OTB (:func:`load_otb`), else ``groundtruth.txt`` VOT
    (:func:`load_vot`), else ``groundtruth_rect.<k>.txt`` OTB (a multi-target sequence).

    Raises:
        DataError: the folder is missing or holds neither ground-truth file.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such sequence folder")
    if (folder / "groundtruth_rect.txt").is_file():
        return load_otb(folder, name=name)
    if (folder / "groundtruth.txt").is_file():
        return load_vot(folder, name=name)
    if any(folder.glob("groundtruth_rect*.txt")):
        return load_otb(folder, name=name)
    raise DataError(f"{folder}: not a tracking sequence (expected groundtruth_rect.txt for OTB "
                    "or groundtruth.txt for VOT)")


__all__ = [
    "FRAME_SUFFIXES",
    "Sequence",
    "frame_files",
    "load_otb",
    "load_sequence",
    "load_vot",
    "polygon_to_box",
    "read_box_file",
]
