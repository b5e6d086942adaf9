"""Training and validation images of the ``compress`` task: photos from folders (and the
embedded ones) found by :func:`oculi.restore.patches.image_sources` (its rules: a folder's
``train/`` + ``val/``, else the last ``val_split`` of its images held out).

- :class:`Crops`: ``repeat`` random ``image_size`` crops per image per epoch, 3 x h x w float32
  in [0, 1], after a random downscale by 0.5-1 (half of the time; it also hides JPEG blocking of
  the sources), flips and 90-degree turns. An unreadable or too small image raises an oculi error
  (the engine skips the item and reports it).
- :class:`CentralCrops`: the central ``val_size`` crop of each validation image.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import torch
from torch.utils.data import Dataset

from oculi.compress.config import CompressConfig
from oculi.restore.patches import Patches, central_crops


def _tensor(rgb: np.ndarray) -> torch.Tensor:
    """HxWx3 uint8 -> 3xHxW float32 in [0, 1]."""
    x = np.ascontiguousarray(rgb.transpose(2, 0, 1)).astype(np.float32) / np.float32(255.0)
    return torch.from_numpy(x)


class Crops(Patches):
    """Random training crops (see the module doc): the restore task's crop sampler (``repeat``
    crops per image, images cached, too small ones rejected) returning the clean crop only.

    Attributes:
        samples: ``(source,)`` per item (what the engine names a skipped item by).
        rng: the crop generator (saved for exact resume).
    """

    def __getitem__(self, index: int) -> torch.Tensor:
        image = self._image(index // self.cfg.repeat)
        p, rng = self.cfg.image_size, self.rng
        h, w = image.shape[:2]
        f = float(rng.uniform(0.5, 1.0)) if rng.random() < 0.5 else 1.0
        f = max(f, p / min(h, w))
        if f < 1.0:
            # crop the region first so the resize stays cheap on large photos
            side = min(min(h, w), int(np.ceil(p / f)) + 2)
            y = int(rng.integers(0, h - side + 1))
            x = int(rng.integers(0, w - side + 1))
            region = image[y:y + side, x:x + side]
            image = cv2.resize(region, (max(p, round(side * f)),) * 2,
                               interpolation=cv2.INTER_AREA)
            h, w = image.shape[:2]
        y = int(rng.integers(0, h - p + 1))
        x = int(rng.integers(0, w - p + 1))
        crop = image[y:y + p, x:x + p]
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        return _tensor(np.rot90(crop, int(rng.integers(0, 4))))


class CentralCrops(Dataset):
    """The central ``val_size`` crop of each validation image (at most ``val_images``);
    unreadable or small images are left out and listed in :attr:`skipped`.

    Raises:
        DataError: no image gives a crop.
    """

    def __init__(self, sources: list[str], cfg: CompressConfig) -> None:
        self.skipped: dict[str, str] = {}
        crops = central_crops(sources, cfg.val_size, cfg.val_images, self.skipped)
        self.names = [source for source, _ in crops]
        self.crops = [_tensor(crop) for _, crop in crops]

    def __len__(self) -> int:
        return len(self.crops)

    def __getitem__(self, index: int) -> torch.Tensor:
        return self.crops[index]

    def summary(self) -> dict[str, Any]:
        return {"val_images": self.names, "val_skipped": self.skipped}
