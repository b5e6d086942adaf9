"""Training and validation data of the ``colorize`` task: colour photos from folders (or the
embedded colour photos), resized to ``short_side`` and cut into Lab crops.

- :func:`colour_sources`: a folder's ``train/`` and ``val/`` (searched recursively), else its
  images in name order with the last ``val_split`` held out (:func:`oculi.restore.patches.
  image_sources`); with no folder (None or ``-``) the embedded colour photos.
- :class:`LabCrops`: ``repeat`` random crops per image and epoch (random horizontal flips) as
  ``(L / 100, ab)`` float32 tensors ``1 x s x s`` and ``2 x s x s``; an unreadable or grey image
  raises an oculi error, which the engine reports and skips.
- :class:`LabCentres`: the central ``short_side`` square of each validation image.
- :func:`bin_counts`: the hard bin histogram of the training images (for rebalancing).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from oculi.colorize.config import ColorizeConfig
from oculi.colorize.lab import image_to_lab
from oculi.core.errors import DataError, OculiError

#: embedded colour photos trained on with no folder
EMBEDDED_TRAIN = ("astronaut", "coffee", "rocket", "motorcycle_left", "ihc", "hubble")
#: embedded colour photos validated on
EMBEDDED_VAL = ("chelsea", "motorcycle_right")
#: an image whose pixels all have chroma below this (ab units) has no colour to learn
GREY_CHROMA = 2.0


def colour_sources(data: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None,
                   cfg: ColorizeConfig) -> tuple[list[str], list[str]]:
    """``(train, val)`` image sources: file paths, or embedded photo names.

    Raises:
        DataError: a folder that does not exist or holds no image.
    """
    from oculi.restore.patches import image_sources

    if data is None or str(data) == "-":
        return list(EMBEDDED_TRAIN), list(EMBEDDED_VAL)

    class _Split:  # what image_sources reads of a config
        val_split, with_embedded = cfg.val_split, False

    return image_sources(data, _Split)  # type: ignore[arg-type]


def read_colour(source: str, short_side: int) -> np.ndarray:
    """A source as float32 Lab ``H x W x 3`` with the short side resized to ``short_side``.

    Raises:
        DataError: a grey image (no pixel with chroma above :data:`GREY_CHROMA`).
        ImageReadError: an unreadable file.
    """
    from oculi.restore.patches import read_short_side

    lab = image_to_lab(read_short_side(source, short_side), source)
    if float(np.hypot(lab[..., 1], lab[..., 2]).max()) < GREY_CHROMA:
        raise DataError(f"{source}: a grey image (no colour to learn from)")
    return lab


def _tensors(lab: np.ndarray) -> tuple[torch.Tensor, torch.Tensor]:
    t = torch.from_numpy(np.ascontiguousarray(lab.transpose(2, 0, 1)))
    return t[:1] / 100.0, t[1:].clone()


class LabCrops(Dataset):
    """Random training crops ``(L / 100, ab)``; item ``i`` is a crop of image ``i // repeat``.

    Attributes:
        samples: ``(source,)`` of each item (what the engine names a skipped item by).
    """

    def __init__(self, sources: list[str], cfg: ColorizeConfig, seed: int) -> None:
        self.sources, self.cfg = sources, cfg
        self.samples = [(s,) for s in sources for _ in range(cfg.repeat)]
        self.rng = np.random.default_rng(seed)
        self._cache: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.samples)

    def image(self, k: int) -> np.ndarray:
        """Image ``k`` as Lab (cached)."""
        if k not in self._cache:
            self._cache[k] = read_colour(self.sources[k], self.cfg.short_side)
        return self._cache[k]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        lab = self.image(index // self.cfg.repeat)
        s, rng = self.cfg.image_size, self.rng
        y = int(rng.integers(0, lab.shape[0] - s + 1))
        x = int(rng.integers(0, lab.shape[1] - s + 1))
        crop = lab[y:y + s, x:x + s]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        return _tensors(crop)


class LabCentres(Dataset):
    """The central square (side ``short_side`` rounded down to a multiple of 32) of each
    validation image read by :func:`read_colour`, at most ``val_images``
    (:func:`oculi.restore.patches.central_crops`); unreadable and grey ones are listed in
    :attr:`skipped`.

    Raises:
        DataError: no image is a readable colour photo.
    """

    def __init__(self, sources: list[str], cfg: ColorizeConfig) -> None:
        from oculi.restore.patches import central_crops

        s = cfg.short_side - cfg.short_side % 32
        self.skipped: dict[str, str] = {}
        crops = central_crops(sources, s, cfg.val_images, self.skipped,
                              read=lambda source: read_colour(source, cfg.short_side))
        self.names = [source for source, _ in crops]
        self.items = [_tensors(lab) for _, lab in crops]

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.items[index]


def bin_counts(crops: LabCrops, centres: np.ndarray, stride: int = 4) -> tuple[np.ndarray,
                                                                               dict[str, str]]:
    """Hard nearest-bin counts ``(Q,)`` of every ``stride``-th pixel of the training images,
    and the images that could not be read (source -> reason)."""
    from scipy.spatial import cKDTree

    tree, counts = cKDTree(centres), np.zeros(len(centres))
    skipped: dict[str, str] = {}
    for k, source in enumerate(crops.sources):
        try:
            lab = crops.image(k)
        except (OculiError, OSError) as exc:
            skipped[source] = " ".join(str(exc).split())
            continue
        _, idx = tree.query(lab[::stride, ::stride, 1:].reshape(-1, 2))
        counts += np.bincount(idx, minlength=len(centres))
    return counts, skipped


def summary(train: LabCrops, val: LabCentres, skipped: dict[str, Any]) -> dict[str, Any]:
    """What ``data.json`` records."""
    return {"train_images": len(train.sources), "crops_per_epoch": len(train),
            "val_images": val.names, "val_skipped": val.skipped, "train_skipped": skipped}
