"""ImageFolder data for classification: scanning with broken-file detection, datasets, samplers.

A data root holds ``train/<class>/*`` and ``val/<class>/*``. Files that are not readable images
(a GIF saved as ``.jpg``, truncated JPEGs, text files) are skipped and listed in the
:class:`FolderIndex` summary, never fatal; a file that breaks later, mid-epoch, is replaced by
another sample and counted.
"""

from __future__ import annotations

import os
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from oculi.core.errors import DataError, OculiError
from oculi.io import IMAGE_SUFFIXES


@dataclass
class FolderIndex:
    """The readable samples of one split and what was skipped.

    Attributes:
        root: the split folder.
        classes: class names (sorted folder names).
        samples: (path, class index) pairs of readable images.
        skipped: (path, reason) for files left out.
    """

    root: Path
    classes: list[str]
    samples: list[tuple[Path, int]]
    skipped: list[tuple[Path, str]] = field(default_factory=list)

    @property
    def targets(self) -> list[int]:
        return [t for _, t in self.samples]

    def counts(self) -> dict[str, int]:
        c = Counter(self.targets)
        return {name: c.get(i, 0) for i, name in enumerate(self.classes)}

    def summary(self) -> dict[str, Any]:
        return {"root": str(self.root), "images": len(self.samples), "classes": self.classes,
                "per_class": self.counts(),
                "skipped": [{"path": str(p), "reason": r} for p, r in self.skipped]}


def probe_image(path: Path) -> str | None:
    """None if ``path`` decodes as an image oculi reads, else the reason (one line)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as im:
            fmt = im.format
            if fmt not in ("JPEG", "PNG", "BMP", "TIFF", "WEBP", "PPM", "MPO"):
                return f"unsupported format {fmt} for training (convert it to JPEG/PNG)"
            im.verify()
        return None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        return f"not a readable image ({type(exc).__name__}: {str(exc)[:80]})"


def scan_folder(root: str | os.PathLike[str], classes: Sequence[str] | None = None,
                *, probe: bool = True) -> FolderIndex:
    """Index ``root/<class>/<file>``; unreadable and non-image files go to ``skipped``.

    Args:
        root: a split folder (``.../train``).
        classes: expected class names (e.g. the train split's, for ``val``); None: the folders.
        probe: open each file's header to catch broken files up front.

    Raises:
        DataError: ``root`` missing, no class folders, or a class folder of ``classes`` missing.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: folder not found — expected <data>/train/<class>/... and "
                        "<data>/val/<class>/...")
    found = sorted(d.name for d in root.iterdir() if d.is_dir() and not d.name.startswith("."))
    if classes is None:
        classes = found
        if not classes:
            raise DataError(f"{root}: no class folders — expected {root}/<class>/<image>")
    else:
        classes = list(classes)
        extra = sorted(set(found) - set(classes))
        if extra:
            raise DataError(f"{root}: class folder(s) {extra} are not among the training "
                            f"classes {classes}")
    samples: list[tuple[Path, int]] = []
    skipped: list[tuple[Path, str]] = []
    for idx, name in enumerate(classes):
        folder = root / name
        if not folder.is_dir():
            continue
        good, bad = _image_files(folder, probe)
        samples += [(path, idx) for path in good]
        skipped += bad
    return FolderIndex(root, list(classes), samples, skipped)


def _image_files(folder: Path, probe: bool) -> tuple[list[Path], list[tuple[Path, str]]]:
    """The readable images below ``folder`` (sorted; hidden files and folders left out) and
    (path, reason) for the other files."""
    good, bad = [], []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if any(part.startswith(".") for part in path.relative_to(folder).parts):
            continue
        if path.suffix.lower() not in IMAGE_SUFFIXES:
            bad.append((path, f"not an image file suffix ({path.suffix or 'none'})"))
            continue
        reason = probe_image(path) if probe else None
        if reason:
            bad.append((path, reason))
        else:
            good.append(path)
    return good, bad


def scan_unlabeled(root: str | os.PathLike[str], *, probe: bool = True) -> FolderIndex:
    """Index every image under ``root`` (recursively; subfolder names are not labels): the
    unlabelled pool of self-training. Samples are ``(path, i)`` with ``i`` the sample's own
    position; unreadable and non-image files go to ``skipped`` as in :func:`scan_folder`.

    Raises:
        DataError: ``root`` missing or holding no readable image.
    """
    root = Path(root)
    if not root.is_dir():
        raise DataError(f"{root}: unlabelled image folder not found")
    paths, skipped = _image_files(root, probe)
    if not paths:
        raise DataError(f"{root}: no readable image among {len(skipped)} file(s) — the "
                        "unlabelled folder needs JPEG/PNG images")
    return FolderIndex(root, [], [(p, i) for i, p in enumerate(paths)], skipped)


@dataclass
class ClassificationData:
    """Train and validation indices with the checks a training run needs."""

    train: FolderIndex
    val: FolderIndex

    @property
    def classes(self) -> list[str]:
        return self.train.classes

    def summary(self) -> dict[str, Any]:
        return {"classes": self.classes, "train": self.train.summary(),
                "val": self.val.summary(),
                "skipped": len(self.train.skipped) + len(self.val.skipped)}


def load_image_folder(data: str | os.PathLike[str], *, val_split: float = 0.0,
                      seed: int = 0) -> ClassificationData:
    """Scan ``data/train`` and ``data/val`` (or split ``train`` when ``val_split`` > 0).

    Raises:
        DataError: missing folders, fewer than two classes, a training class with no readable
            image, or no validation images; each message names the folder and the fix.
    """
    data = Path(data)
    if not data.is_dir():
        raise DataError(f"{data}: data folder not found")
    train_dir = data / "train"
    if not train_dir.is_dir():
        raise DataError(f"{data}: no train/ folder — expected {data}/train/<class>/<image>")
    train = scan_folder(train_dir)
    if len(train.classes) < 2:
        raise DataError(f"{train_dir}: found {len(train.classes)} class folder(s) "
                        f"{train.classes}; classification needs at least 2")
    empty = [c for c, n in train.counts().items() if n == 0]
    if empty:
        raise DataError(f"{train_dir}: class folder(s) {empty} hold no readable image — add "
                        "images or remove the folder")
    val_dir = data / "val"
    if val_dir.is_dir():
        val = scan_folder(val_dir, train.classes)
    elif val_split > 0:
        rng = random.Random(seed)
        order = list(range(len(train.samples)))
        rng.shuffle(order)
        n_val = max(1, round(val_split * len(order)))
        held = set(order[:n_val])
        val = FolderIndex(train_dir, train.classes,
                          [s for i, s in enumerate(train.samples) if i in held])
        train = FolderIndex(train_dir, train.classes,
                            [s for i, s in enumerate(train.samples) if i not in held],
                            train.skipped)
    else:
        raise DataError(f"{data}: no val/ folder — add {data}/val/<class>/<image> or hold out "
                        "part of train with val_split=0.2 (--val-split 0.2)")
    if not val.samples:
        raise DataError(f"{val.root}: no readable validation images")
    return ClassificationData(train, val)


def _decode(path: Path, short_side: int | None) -> np.ndarray:
    from oculi.io import read_image

    return read_image(path, short_side=short_side)


class ImageFolderDataset(Dataset):
    """(image tensor, class) pairs from a :class:`FolderIndex`.

    Images are decoded with :func:`oculi.io.read_image` at ``decode_short_side`` (JPEG DCT
    scaling makes that fast), optionally cached, then turned into a CHW float tensor in [0, 1]
    by ``transform`` (which takes the HxWx3 uint8 RGB array).

    A sample that fails to decode is recorded in :attr:`failed` (per process); with
    ``substitute`` (training) the next readable one stands in, without it (evaluation) the item
    is ``None`` and :func:`collate_readable` leaves it out, so no image is counted twice.
    """

    def __init__(self, index: FolderIndex, transform: Any, *, decode_short_side: int | None,
                 cache: bool = False, substitute: bool = True) -> None:
        self.index = index
        self.substitute = substitute
        self.transform = transform
        self.short_side = decode_short_side
        self.failed: dict[str, str] = {}
        self._cache: list[np.ndarray | None] | None = None
        if cache:
            self._cache = []
            for path, _ in index.samples:
                try:
                    self._cache.append(_decode(path, self.short_side))
                except (OculiError, OSError) as exc:
                    self.failed[str(path)] = str(exc)
                    self._cache.append(None)

    def __len__(self) -> int:
        return len(self.index.samples)

    def _image(self, i: int) -> np.ndarray | None:
        if self._cache is not None:
            return self._cache[i]
        path = self.index.samples[i][0]
        try:
            return _decode(path, self.short_side)
        except (OculiError, OSError) as exc:
            self.failed[str(path)] = " ".join(str(exc).split())
            return None

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int] | None:
        if not self.substitute:
            image = self._image(i)
            return None if image is None else (self.transform(image), self.index.samples[i][1])
        n = len(self)
        for k in range(n):
            j = (i + k) % n
            image = self._image(j)
            if image is not None:
                return self.transform(image), self.index.samples[j][1]
        raise DataError(f"{self.index.root}: no image could be decoded")


def _to_tensor(image: np.ndarray | torch.Tensor) -> torch.Tensor:
    """HxWx3 uint8 RGB -> CHW float32 in [0, 1] (a CHW float tensor passes through)."""
    if torch.is_tensor(image):
        return image.float()
    arr = np.ascontiguousarray(image)
    return torch.from_numpy(arr).permute(2, 0, 1).float().div_(255.0)


class TrainTransform:
    """Classification training augmentation: the ``classify-train`` recipe of
    :mod:`oculi.augment` (random-resized crop covering ``scale`` of the area, aspect 3/4..4/3,
    horizontal flip, optionally ``randaugment_ops`` RandAugment operations at
    ``randaugment_magnitude`` on the 0-30 scale) on an HxWx3 uint8 RGB array -> CHW float
    tensor ``size`` x ``size`` in [0, 1]. ``seed`` seeds the recipe (each data-loading worker
    reseeds it)."""

    def __init__(self, size: int, scale: tuple[float, float] = (0.25, 1.0),
                 interpolation: str = "bilinear", seed: int | None = None, *,
                 randaugment_ops: int = 0, randaugment_magnitude: float = 10.0) -> None:
        from oculi.augment import augment_preset

        self.compose = augment_preset("classify-train", size, seed=seed, scale=scale,
                                      interpolation=interpolation,
                                      randaugment_ops=randaugment_ops,
                                      randaugment_magnitude=randaugment_magnitude)

    def set_random_seed(self, seed: int) -> None:
        self.compose.set_random_seed(seed)

    def __call__(self, image: np.ndarray | torch.Tensor) -> torch.Tensor:
        if torch.is_tensor(image):
            image = (image.clamp(0, 1) * 255).round().byte().permute(1, 2, 0).numpy()
        return _to_tensor(self.compose(image=image)["image"])


class EvalTransform:
    """The model spec's evaluation transform (short side to size / crop_pct, centre crop)."""

    def __init__(self, spec: Any) -> None:
        self.spec = spec

    def __call__(self, image: np.ndarray | torch.Tensor) -> torch.Tensor:
        from oculi.models.spec import resize_crop

        x = _to_tensor(image)
        return resize_crop(x[None], self.spec.size, self.spec.interpolation,
                           self.spec.resize_short_side)[0]


def collate_readable(batch: list[Any]) -> Any:
    """PyTorch's default collation of the items that could be read (``None`` items left out);
    ``None`` when none could."""
    from torch.utils.data import default_collate

    items = [b for b in batch if b is not None]
    return default_collate(items) if items else None
