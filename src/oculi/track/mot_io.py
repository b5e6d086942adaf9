"""MOTChallenge files: ground truth, tracker results and sequence folders.

Both file kinds are comma-separated text, one box per line, frames numbered from 1, boxes as
``left, top, width, height`` pixels:

* ground truth ``gt/gt.txt``: ``frame, id, left, top, width, height, consider, class, visibility``
  (``consider`` 0 marks a box the evaluation ignores; class 1 is pedestrian);
* results: ``frame, id, left, top, width, height, conf, -1, -1, -1``.

In memory both are a :class:`MOTRows` with ``xyxy`` float boxes (docs/conventions.md): the
conversion happens only here. A sequence folder (``img1/``, ``gt/gt.txt``, ``seqinfo.ini``) is
read by :func:`read_sequence`; only the frames whose images are present count.
"""

from __future__ import annotations

import configparser
import math
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from oculi.core.errors import DataError, ShapeError

__all__ = ["MOTRows", "MOTSequence", "read_mot", "read_sequence", "write_mot"]

#: image suffixes of a sequence's frame folder
_FRAME_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff")


@dataclass
class MOTRows:
    """Boxes of many frames and identities: one MOTChallenge file in memory.

    Attributes:
        frames: ``(M,)`` int64 frame numbers, 1-based.
        ids: ``(M,)`` int64 track / object identities.
        boxes: ``(M, 4)`` float64 ``xyxy`` pixels.
        scores: ``(M,)`` float64 — results: the confidence; ground truth: the ``consider``
            flag (1 evaluated, 0 ignored). It is the same column of the file.
        classes: ``(M,)`` int64 class (ground truth: 1 pedestrian, 2 person on vehicle, 7 static
            person, 8 distractor, 12 reflection, ...; results: -1).
        visibility: ``(M,)`` float64 visible fraction in [0, 1] (results: -1).
    """

    frames: np.ndarray
    ids: np.ndarray
    boxes: np.ndarray
    scores: np.ndarray = field(default=None)  # type: ignore[assignment]
    classes: np.ndarray = field(default=None)  # type: ignore[assignment]
    visibility: np.ndarray = field(default=None)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self.frames = np.asarray(self.frames, dtype=np.int64).reshape(-1)
        m = len(self.frames)
        self.ids = np.asarray(self.ids, dtype=np.int64).reshape(-1)
        self.boxes = np.asarray(self.boxes, dtype=np.float64).reshape(-1, 4)
        fill = {"scores": 1.0, "classes": -1, "visibility": -1.0}
        for name, value in fill.items():
            arr = getattr(self, name)
            dtype = np.int64 if name == "classes" else np.float64
            arr = np.full(m, value, dtype) if arr is None else np.asarray(arr, dtype).reshape(-1)
            setattr(self, name, arr)
        for name in ("ids", "boxes", "scores", "classes", "visibility"):
            if len(getattr(self, name)) != m:
                raise ShapeError(f"MOTRows.{name}: expected {m} rows (one per frame entry), "
                                 f"got {len(getattr(self, name))}")

    def __len__(self) -> int:
        return len(self.frames)

    @classmethod
    def empty(cls) -> MOTRows:
        """No rows."""
        return cls(np.zeros(0), np.zeros(0), np.zeros((0, 4)))

    @classmethod
    def concat(cls, parts: list[MOTRows]) -> MOTRows:
        """Rows of several :class:`MOTRows` one after the other."""
        if not parts:
            return cls.empty()
        return cls(*(np.concatenate([getattr(p, f) for p in parts]) for f in _FIELDS))

    def select(self, mask: np.ndarray) -> MOTRows:
        """The rows where boolean ``mask (M,)`` is true (or at integer indices)."""
        return MOTRows(*(getattr(self, f)[mask] for f in _FIELDS))

    def frame_numbers(self) -> np.ndarray:
        """Sorted unique frame numbers, int64."""
        return np.unique(self.frames)

    def by_frame(self, frames: np.ndarray | None = None) -> Iterator[tuple[int, MOTRows]]:
        """``(frame, rows of that frame)`` for each of ``frames`` (default: those present),
        in order; a frame without rows yields empty rows."""
        order = np.argsort(self.frames, kind="stable")
        sorted_frames = self.frames[order]
        wanted = self.frame_numbers() if frames is None else np.asarray(frames, dtype=np.int64)
        starts = np.searchsorted(sorted_frames, wanted, side="left")
        ends = np.searchsorted(sorted_frames, wanted, side="right")
        for t, a, b in zip(wanted.tolist(), starts, ends, strict=True):
            yield int(t), self.select(order[a:b])

    def xywh(self) -> np.ndarray:
        """``(M, 4)`` ``left, top, width, height`` (the file's box columns)."""
        return np.concatenate([self.boxes[:, :2], self.boxes[:, 2:] - self.boxes[:, :2]], axis=1)


_FIELDS = ("frames", "ids", "boxes", "scores", "classes", "visibility")


def read_mot(path: str | os.PathLike[str]) -> MOTRows:
    """Read a MOTChallenge ground-truth or results file.

    Args:
        path: text file with 6 to 10 comma-separated columns per line (see the module doc);
            missing optional columns get ``conf`` 1, ``class`` -1, ``visibility`` -1. An empty
            file gives empty rows.

    Returns:
        :class:`MOTRows`, in file order.

    Raises:
        FileNotFoundError: no such file.
        DataError: a line with fewer than 6 numbers, a non-number, a non-finite number or a
            negative width or height; a file that is not UTF-8 text.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise DataError(f"{path}: not a MOTChallenge text file (not UTF-8 text)") from None
    rows = []
    for lineno, line in enumerate(text.splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        parts = line.replace(" ", "").split(",")
        try:
            values = [float(v) for v in parts if v != ""]
        except ValueError:
            raise DataError(f"{path}:{lineno}: expected numbers, got {line!r}") from None
        if len(values) < 6:
            raise DataError(f"{path}:{lineno}: expected at least 6 columns (frame, id, left, "
                            f"top, width, height), got {len(values)}")
        if not all(map(math.isfinite, values)):
            raise DataError(f"{path}:{lineno}: expected finite numbers, got {line!r}")
        if values[4] < 0 or values[5] < 0:
            raise DataError(f"{path}:{lineno}: negative box width or height in {line!r}")
        rows.append([*values, 1.0, -1.0, -1.0, -1.0][:10])
    if not rows:
        return MOTRows.empty()
    a = np.array(rows, dtype=np.float64)
    boxes = np.concatenate([a[:, 2:4], a[:, 2:4] + a[:, 4:6]], axis=1)
    return MOTRows(a[:, 0], a[:, 1], boxes, a[:, 6], a[:, 7], a[:, 8])


def write_mot(path: str | os.PathLike[str], rows: MOTRows) -> Path:
    """Write tracker results in the MOTChallenge format (atomically).

    Each line is ``frame, id, left, top, width, height, conf, -1, -1, -1``, sorted by frame
    then id; coordinates with 2 decimals, confidences with 4.

    Args:
        path: output ``.txt`` file (folders are created).
        rows: the results, ``xyxy`` boxes.

    Returns:
        The path written.
    """
    from oculi.core.atomic import write_text_atomic

    order = np.lexsort((rows.ids, rows.frames))
    xywh = rows.xywh()[order]
    lines = [
        f"{f},{i},{b[0]:.2f},{b[1]:.2f},{b[2]:.2f},{b[3]:.2f},{s:.4f},-1,-1,-1"
        for f, i, b, s in zip(rows.frames[order].tolist(), rows.ids[order].tolist(), xywh,
                              rows.scores[order].tolist(), strict=True)
    ]
    return write_text_atomic(path, "".join(line + "\n" for line in lines))


@dataclass
class MOTSequence:
    """A MOTChallenge sequence folder.

    Attributes:
        name: the folder name (``MOT17-02-FRCNN``).
        folder: the folder.
        images: frame image paths present in ``img1/``, sorted; frame ``t`` (1-based) is
            ``images[t - 1]``.
        gt: ground truth of the frames present (None without ``gt/gt.txt``).
        frame_rate: frames per second (``seqinfo.ini``; 30 when absent).
        size: ``(height, width)`` of the frames in pixels (``seqinfo.ini``; None when absent).
        length: the full sequence's ``seqLength`` from ``seqinfo.ini`` (may exceed
            ``len(images)`` when only part of it is present).
    """

    name: str
    folder: Path
    images: list[Path]
    gt: MOTRows | None
    frame_rate: float = 30.0
    size: tuple[int, int] | None = None
    length: int | None = None

    @property
    def num_frames(self) -> int:
        """Frames present (``len(images)``, or the last ground-truth frame without images)."""
        if self.images:
            return len(self.images)
        return int(self.gt.frames.max()) if self.gt is not None and len(self.gt) else 0


def read_sequence(folder: str | os.PathLike[str]) -> MOTSequence:
    """Read a MOTChallenge sequence folder (``img1/``, ``gt/gt.txt``, ``seqinfo.ini``).

    Only the frames present count: ``seqinfo.ini``'s ``seqLength`` is kept as ``length`` but
    ground-truth rows beyond the last image present are dropped (when ``img1/`` exists).

    Args:
        folder: the sequence folder.

    Returns:
        :class:`MOTSequence`.

    Raises:
        DataError: the folder has neither frames nor ground truth, a bad ``gt/gt.txt`` or a
            non-positive or non-numeric size, length or frame rate in ``seqinfo.ini``.
        FileNotFoundError: the folder does not exist.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise FileNotFoundError(f"{folder}: no such sequence folder")
    info = _seqinfo(folder / "seqinfo.ini")
    img_dir = folder / info.get("imdir", "img1")
    images = sorted(p for p in img_dir.iterdir()
                    if p.suffix.lower() in _FRAME_SUFFIXES) if img_dir.is_dir() else []
    gt_path = folder / "gt" / "gt.txt"
    gt = read_mot(gt_path) if gt_path.is_file() else None
    if gt is not None and images:
        gt = gt.select((gt.frames >= 1) & (gt.frames <= len(images)))
    if not images and gt is None:
        raise DataError(f"{folder}: not a MOTChallenge sequence (no {img_dir.name}/ frames and no "
                        "gt/gt.txt)")
    ini = folder / "seqinfo.ini"
    size = None
    if "imheight" in info and "imwidth" in info:
        size = (int(_ini_number(info, "imheight", ini)), int(_ini_number(info, "imwidth", ini)))
    length = int(_ini_number(info, "seqlength", ini)) if "seqlength" in info else None
    frame_rate = _ini_number(info, "framerate", ini) if "framerate" in info else 30.0
    return MOTSequence(name=info.get("name", folder.name), folder=folder, images=images, gt=gt,
                       frame_rate=frame_rate, size=size, length=length)


def _ini_number(info: dict[str, str], key: str, path: Path) -> float:
    """A positive number from ``seqinfo.ini`` (DataError naming the file and key otherwise)."""
    try:
        value = float(info[key])
    except ValueError:
        value = math.nan
    if not math.isfinite(value) or value <= 0:
        raise DataError(f"{path}: {key} must be a positive number, got {info[key]!r}")
    return value


def _seqinfo(path: Path) -> dict[str, str]:
    """``[Sequence]`` of ``seqinfo.ini`` with lower-case keys ({} when absent)."""
    if not path.is_file():
        return {}
    parser = configparser.ConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as exc:
        raise DataError(f"{path}: unreadable seqinfo.ini ({exc})") from None
    return dict(parser["Sequence"]) if parser.has_section("Sequence") else {}
