"""Training data of the ``stylize`` task: content crops from photo folders (or the embedded
photos) and style images.

- :func:`content_sources` finds the content images as the ``restore`` task does: a folder's
  ``train/`` and ``val/`` (recursively), else its images in name order with the last
  ``val_split`` held out; the embedded photos with no folder (None or ``-``) or
  ``with_embedded``.
- :class:`ContentCrops`: ``repeat`` random ``image_size`` crops per image per epoch (the image
  first scaled so its shorter side is 1 to 1.5 crop sides, random horizontal flip), 3xSxS float32
  tensors in [0, 1]; an unreadable image raises an oculi error and the engine skips it.
- :class:`CenterCrops`: the central crop of each validation image.
- :func:`style_images`: a style file or a folder of them, read as float32 RGB.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from torch.utils.data import Dataset

from oculi.core.errors import DataError
from oculi.restore.patches import image_files
from oculi.stylize.config import StylizeConfig


def content_sources(data: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None,
                    cfg: StylizeConfig) -> tuple[list[str], list[str]]:
    """``(train, val)`` content sources: file paths, or embedded photo names (the restoration
    task's search: :func:`oculi.restore.patches.image_sources`).

    Raises:
        DataError: a folder that does not exist or holds no image.
    """
    from oculi.restore.patches import image_sources

    return image_sources(data, cfg)  # type: ignore[arg-type]  # reads val_split, with_embedded


def read_content(source: str, short_side: int) -> np.ndarray:
    """A content source as HxWx3 float32 RGB in [0, 1], its shorter side ``short_side`` pixels."""
    from oculi.restore.patches import read_short_side

    return read_short_side(source, short_side).astype(np.float32) / np.float32(255.0)


def _chw(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))


def random_crop(image: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """A random ``size`` x ``size`` crop of an HxWxC image at least that large."""
    h, w = image.shape[:2]
    y, x = int(rng.integers(0, h - size + 1)), int(rng.integers(0, w - size + 1))
    return image[y:y + size, x:x + size]


class ContentCrops(Dataset):
    """Random content crops, 3xSxS float32 tensors (see the module doc).

    Attributes:
        samples: ``(source,)`` of each item (what the engine names a skipped item by).
    """

    def __init__(self, sources: list[str], size: int, repeat: int, seed: int) -> None:
        self.sources, self.size, self.repeat = sources, size, repeat
        self.samples = [(s,) for s in sources for _ in range(repeat)]
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> torch.Tensor:
        short = int(self.size * self.rng.uniform(1.0, 1.5))
        crop = random_crop(read_content(self.samples[i][0], short), self.size, self.rng)
        if self.rng.random() < 0.5:
            crop = crop[:, ::-1]
        return _chw(crop)


class CenterCrops(Dataset):
    """The central ``size`` crop of each validation image scaled to that short side
    (:func:`read_content`), at most ``limit``: :func:`oculi.restore.patches.central_crops`.
    An unreadable image is left out and named in :attr:`skipped` (``skipped`` when given).

    Raises:
        DataError: no image could be read.
    """

    def __init__(self, sources: list[str], size: int, limit: int,
                 skipped: dict[str, str] | None = None) -> None:
        from oculi.restore.patches import central_crops

        self.skipped: dict[str, str] = {} if skipped is None else skipped
        crops = central_crops(sources, size, limit, self.skipped,
                              read=lambda source: read_content(source, size))
        self.crops = [_chw(crop) for _, crop in crops]

    def __len__(self) -> int:
        return len(self.crops)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.crops[i]


def style_images(style: str | os.PathLike[str], long_side: int | None) -> list[np.ndarray]:
    """The style image(s) of a file or a folder, HxWx3 float32 RGB, longer side ``long_side``.

    Raises:
        ImageReadError: a missing or unreadable style file.
        DataError: a folder without images.
    """
    from oculi.stylize._common import as_rgb01, fit_long_side

    p = Path(style)
    files = image_files(p) if p.is_dir() else [str(p)]
    if not files:
        raise DataError(f"{p}: no style images in the folder")
    return [fit_long_side(as_rgb01(f, "style"), long_side) for f in files]


def style_batch(styles: list[np.ndarray], n: int, size: int,
                rng: np.random.Generator) -> torch.Tensor:
    """``n`` random ``size`` crops of randomly chosen style images (each scaled up when smaller),
    an Nx3xSxS tensor."""
    import cv2

    out = []
    for _ in range(n):
        im = styles[int(rng.integers(len(styles)))]
        if min(im.shape[:2]) < size:
            s = size / min(im.shape[:2])
            im = cv2.resize(im, (max(size, round(im.shape[1] * s)),
                                 max(size, round(im.shape[0] * s))))
        out.append(_chw(random_crop(im, size, rng)))
    return torch.stack(out)
