"""Clip data sets: where the clips are, their labels and groups, and group-wise splits.

A clip is a video file, a folder of frames or a ``.npz`` array. A :class:`ClipDataset` indexes
them (path, label, group, frame count) from a folder per class or a CSV ``file,label[,group]``.
Frame counts come from the container (video metadata, folder listing, the ``.npy`` header inside
the ``.npz``), so building the index decodes nothing; :func:`load_clip` decodes once, when the
frames are needed. Clips that cannot be read, have no frames or are shorter than ``min_frames``
are collected in :attr:`ClipDataset.bad` with the reason, never raised half-way through a run.
"""

from __future__ import annotations

import csv
import os
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from oculi.core.errors import DataError, ImageReadError, ParameterError
from oculi.video import FRAME_SUFFIXES, open_video

#: file suffixes read as videos (a folder of frames is a clip as well)
VIDEO_SUFFIXES = (".mp4", ".avi", ".mkv", ".webm", ".mov", ".m4v", ".mpg", ".mpeg", ".wmv")
#: ``.npz`` keys tried in order when no key is given
NPZ_KEYS = ("original", "frames")

PathLike = str | os.PathLike[str]


@dataclass(frozen=True)
class ClipItem:
    """One indexed clip.

    Attributes:
        path: the video file, frame folder or ``.npz`` file.
        label: class name.
        group: the value of the group column (actor, person, ...) or ``None``.
        n_frames: number of frames (from metadata; nothing decoded).
        key: the array inside an ``.npz`` (``None`` for videos and folders).
    """

    path: str
    label: str
    group: str | None
    n_frames: int
    key: str | None = None


@dataclass(frozen=True)
class BadClip:
    """A clip left out of a data set, and why (unreadable, no frames, too short)."""

    path: str
    reason: str


def _npz_key(path: Path, key: str | None) -> str:
    with zipfile.ZipFile(path) as archive:
        names = [n[:-4] for n in archive.namelist() if n.endswith(".npy")]
    if key is not None:
        if key not in names:
            raise DataError(f"{path}: no array {key!r} (it holds {', '.join(names) or 'none'})")
        return key
    for k in NPZ_KEYS:
        if k in names:
            return k
    if len(names) == 1:
        return names[0]
    raise DataError(f"{path}: several arrays ({', '.join(names)}) and none named "
                    f"{' or '.join(NPZ_KEYS)}: pass key=")


def _npz_shape(path: Path, key: str) -> tuple[int, ...]:
    """Shape of ``key`` in an ``.npz`` from its ``.npy`` header (no decompression of the data)."""
    with zipfile.ZipFile(path) as archive, archive.open(key + ".npy") as member:
        version = np.lib.format.read_magic(member)
        if version == (1, 0):
            shape, _, _ = np.lib.format.read_array_header_1_0(member)
        else:
            shape, _, _ = np.lib.format.read_array_header_2_0(member)
    return tuple(shape)


def clip_frames(path: PathLike, key: str | None = None) -> tuple[int, str | None]:
    """Frame count of a clip and the ``.npz`` key used, without decoding the frames.

    Raises:
        ImageReadError: a missing or unreadable file.
        DataError: an ``.npz`` without a usable array, an array that is not (T, H, W[, C]).
    """
    p = Path(path)
    if p.suffix.lower() == ".npz":
        if not p.is_file():
            raise ImageReadError(f"{p}: no such file")
        try:
            k = _npz_key(p, key)
            shape = _npz_shape(p, k)
        except (zipfile.BadZipFile, ValueError, KeyError) as err:
            raise ImageReadError(f"{p}: not a readable .npz ({err})") from None
        if len(shape) not in (3, 4):
            raise DataError(f"{p}: array {k!r} has shape {shape}, expected (T, H, W[, C])")
        return int(shape[0]), k
    with open_video(p) as video:
        return len(video), None


def load_clip(clip: ClipItem | PathLike, indices: Sequence[int] | np.ndarray | None = None, *,
              key: str | None = None) -> np.ndarray:
    """Decode the frames of a clip.

    Args:
        clip: a :class:`ClipItem` or a path (video file, frame folder, ``.npz``).
        indices: frame indices to read (any order, repeats allowed); ``None``: every frame.
        key: the ``.npz`` array (a :class:`ClipItem` carries its own).

    Returns:
        ``(T, H, W, 3)`` uint8 RGB for videos and folders; the stored array for ``.npz``
        (Weizmann silhouettes: ``(T, H, W)`` uint8 in {0, 1}).
    """
    if isinstance(clip, ClipItem):
        path, key = Path(clip.path), clip.key
    else:
        path = Path(clip)
    if path.suffix.lower() == ".npz":
        _, k = clip_frames(path, key)
        with np.load(path) as data:
            array = data[k]
        return array if indices is None else array[np.asarray(indices, dtype=np.int64)]
    with open_video(path) as video:
        if indices is None:
            return np.stack(list(video))
        idx = np.asarray(indices, dtype=np.int64)
        unique, inverse = np.unique(idx, return_inverse=True)
        frames = np.stack([video.read(int(i)) for i in unique])
        return frames[inverse]


def _is_clip(path: Path) -> bool:
    if path.is_dir():
        return any(p.suffix.lower() in FRAME_SUFFIXES for p in path.iterdir())
    return path.suffix.lower() in (*VIDEO_SUFFIXES, ".npz")


@dataclass
class ClipDataset:
    """An index of labelled clips.

    Attributes:
        items: the readable clips, in source order.
        classes: sorted class names; ``labels`` index into it.
        bad: clips left out (unreadable, no frames, fewer than ``min_frames``).
        min_frames: the shortest clip kept.
    """

    items: list[ClipItem]
    classes: list[str]
    bad: list[BadClip] = field(default_factory=list)
    min_frames: int = 1

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> ClipItem:
        return self.items[index]

    def __iter__(self) -> Iterator[ClipItem]:
        return iter(self.items)

    @property
    def labels(self) -> np.ndarray:
        """(N,) int64 class index of every clip."""
        lookup = {c: i for i, c in enumerate(self.classes)}
        return np.array([lookup[it.label] for it in self.items], dtype=np.int64)

    @property
    def groups(self) -> np.ndarray:
        """(N,) object array of group values (``None`` where the source has no group)."""
        return np.array([it.group for it in self.items], dtype=object)

    def subset(self, indices: Sequence[int] | np.ndarray) -> ClipDataset:
        """The clips at ``indices`` (classes kept, so label indices stay the same)."""
        return ClipDataset([self.items[int(i)] for i in indices], self.classes, [],
                           self.min_frames)

    def report(self) -> str:
        """One line per left-out clip (empty when none)."""
        return "\n".join(f"{b.path}: {b.reason}" for b in self.bad)

    def summary(self) -> dict[str, object]:
        """Counts per class and group, and the left-out clips, for a ``data.json``."""
        per_class = {c: 0 for c in self.classes}
        for it in self.items:
            per_class[it.label] += 1
        groups = sorted({str(it.group) for it in self.items if it.group is not None})
        return {"clips": len(self.items), "classes": per_class, "groups": groups,
                "frames": int(sum(it.n_frames for it in self.items)),
                "skipped": [{"path": b.path, "reason": b.reason} for b in self.bad]}


def read_clips(dataset: ClipDataset, sampler: Callable[..., np.ndarray] | None = None,
               rng: np.random.Generator | int | None = None
               ) -> tuple[list[np.ndarray], ClipDataset]:
    """Decode every clip of a data set once; clips that fail to decode are reported, not raised.

    Args:
        dataset: the index.
        sampler: maps a frame count (and ``rng``) to indices (:mod:`oculi.action.sampling`);
            ``None``: every frame.
        rng: seed or generator handed to the sampler.

    Returns:
        The decoded arrays (see :func:`load_clip`) and the data set of the clips they belong to:
        same classes, the clips that failed added to its ``bad`` with the reason.
    """
    generator = np.random.default_rng(rng) if not isinstance(rng, np.random.Generator) else rng
    arrays: list[np.ndarray] = []
    kept: list[ClipItem] = []
    bad = list(dataset.bad)
    for item in dataset:
        try:
            idx = None if sampler is None else sampler(item.n_frames, generator)
            arrays.append(load_clip(item, idx))
        except (ImageReadError, DataError, ParameterError, OSError, ValueError) as err:
            bad.append(BadClip(item.path, f"unreadable: {err}"))
            continue
        kept.append(item)
    return arrays, ClipDataset(kept, dataset.classes, bad, dataset.min_frames)


def _index(entries: list[tuple[Path, str, str | None]], key: str | None,
           min_frames: int) -> ClipDataset:
    if min_frames < 1:
        raise ParameterError(f"min_frames: expected a positive integer, got {min_frames}")
    items: list[ClipItem] = []
    bad: list[BadClip] = []
    for path, label, group in entries:
        try:
            n, k = clip_frames(path, key)
        except (ImageReadError, DataError, OSError, ValueError) as err:
            bad.append(BadClip(str(path), f"unreadable: {err}"))
            continue
        if n == 0:
            bad.append(BadClip(str(path), "no frames"))
        elif n < min_frames:
            bad.append(BadClip(str(path), f"{n} frame(s), shorter than the clip length "
                                          f"{min_frames}"))
        else:
            items.append(ClipItem(str(path), label, group, n, k))
    classes = sorted({it.label for it in items})
    return ClipDataset(items, classes, bad, min_frames)


def from_folder(root: PathLike, *, key: str | None = None, min_frames: int = 1) -> ClipDataset:
    """Index ``root/<class>/<clip>``: video files, ``.npz`` arrays or frame folders.

    Args:
        root: a folder with one sub-folder per class.
        key: the ``.npz`` array to read (``None``: ``original``, ``frames`` or the only one).
        min_frames: clips with fewer frames are left out (reported in ``bad``).

    Raises:
        ImageReadError: ``root`` is not a folder.
        DataError: no class folder holds a clip.
    """
    base = Path(root)
    if not base.is_dir():
        raise ImageReadError(f"{base}: no such folder of class folders")
    entries = [(p, cls.name, None)
               for cls in sorted(d for d in base.iterdir() if d.is_dir())
               for p in sorted(cls.iterdir()) if _is_clip(p)]
    if not entries:
        raise DataError(f"{base}: no clips in class sub-folders (videos, .npz or frame folders)")
    return _index(entries, key, min_frames)


def from_csv(path: PathLike, *, root: PathLike | None = None, group: str | None = None,
             key: str | None = None, min_frames: int = 1) -> ClipDataset:
    """Index the clips of a CSV ``file,label[,group]`` (a header row names the columns).

    Args:
        path: the CSV file. With a header, the columns ``file`` and ``label`` are used and the
            group column is ``group`` (the argument), else a column named ``group``, else the
            third column; without a header the columns are file, label, group by position.
        root: folder the file names are relative to (default: the CSV's folder).
        group: name of the group column (e.g. ``actor``, ``person``).
        key: the ``.npz`` array to read.
        min_frames: clips with fewer frames are left out (reported in ``bad``).

    Raises:
        ImageReadError: a missing CSV.
        DataError: no ``file``/``label`` columns, a named group column that is absent, no rows.
    """
    csv_path = Path(path)
    if not csv_path.is_file():
        raise ImageReadError(f"{csv_path}: no such CSV file")
    base = Path(root) if root is not None else csv_path.parent
    with open(csv_path, newline="", encoding="utf-8") as f:
        rows = [r for r in csv.reader(f) if r and any(c.strip() for c in r)]
    if not rows:
        raise DataError(f"{csv_path}: no rows (expected file,label[,group])")
    head = [c.strip().lower() for c in rows[0]]
    if "file" in head and "label" in head:
        fi, li = head.index("file"), head.index("label")
        want = (group or "group").lower()
        if want in head:
            gi: int | None = head.index(want)
        elif group is not None:
            raise DataError(f"{csv_path}: no column {group!r} (columns: {', '.join(head)})")
        else:
            gi = 2 if len(head) > 2 else None
        rows = rows[1:]
    else:
        if group is not None:
            raise DataError(f"{csv_path}: group={group!r} needs a header row naming columns")
        fi, li, gi = 0, 1, (2 if len(rows[0]) > 2 else None)
    entries = []
    for r in rows:
        if len(r) <= max(fi, li):
            raise DataError(f"{csv_path}: row {r} has no file and label")
        g = r[gi].strip() if gi is not None and gi < len(r) else None
        entries.append((base / r[fi].strip(), r[li].strip(), g))
    return _index(entries, key, min_frames)


def clip_dataset(source: PathLike, *, group: str | None = None, key: str | None = None,
                 min_frames: int = 1) -> ClipDataset:
    """Index a clip source: a CSV file, a folder holding ``labels.csv``, or a folder per class.

    See :func:`from_csv` and :func:`from_folder` for the arguments.
    """
    p = Path(source)
    if p.is_file() and p.suffix.lower() == ".csv":
        return from_csv(p, group=group, key=key, min_frames=min_frames)
    if p.is_dir() and (p / "labels.csv").is_file():
        return from_csv(p / "labels.csv", group=group, key=key, min_frames=min_frames)
    return from_folder(p, key=key, min_frames=min_frames)
