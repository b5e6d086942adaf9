"""Training and validation data of the ``lowlight`` task: photos re-exposed on the fly.

- :func:`reexpose` changes the exposure of an sRGB image by ``ev`` stops: the values are
  linearised (the sRGB transfer function), multiplied by ``2 ** ev``, clipped to [0, 1] and
  encoded again: negative EVs darken (the shadows sink toward black), positive ones clip the
  highlights, like the frames of a bracketed multi-exposure sequence.
- :class:`ExposureCrops` gives ``repeat`` random crops per image per epoch: a square of side drawn
  uniformly in [``crop_min``, ``crop_max``] (at most the short side), resized to ``image_size``
  (area), flipped left-right at random, re-exposed by an EV drawn from ``exposures``: a
  ``3 x S x S`` float32 tensor. An unreadable image raises, and the engine skips and reports it.
- :class:`DarkCrops` gives ``(dark, clean)`` pairs: the central ``val_size`` crop of each
  validation image, re-exposed by ``val_exposure``.

Images are found as for the ``restore`` task (:func:`oculi.restore.patches.image_sources`).
"""

from __future__ import annotations

import numpy as np
import torch
from torch.utils.data import Dataset

from oculi.restore.lowlight_config import LowlightConfig
from oculi.restore.patches import ValCrops, _tensor, central_crops, read_source


def srgb_to_linear(x: np.ndarray) -> np.ndarray:
    """sRGB-encoded float in [0, 1] -> linear light (IEC 61966-2-1), same shape, float32."""
    x = np.asarray(x, np.float32)
    return np.where(x <= 0.04045, x / 12.92, ((x + 0.055) / 1.055) ** 2.4).astype(np.float32)


def linear_to_srgb(x: np.ndarray) -> np.ndarray:
    """Linear light in [0, 1] -> sRGB-encoded float32 (inverse of :func:`srgb_to_linear`)."""
    x = np.clip(np.asarray(x, np.float32), 0.0, 1.0)
    return np.where(x <= 0.0031308, 12.92 * x,
                    1.055 * x ** (1 / 2.4) - 0.055).astype(np.float32)


def reexpose(image: np.ndarray, ev: float) -> np.ndarray:
    """An HxWx3 uint8 or float [0, 1] sRGB image with its exposure changed by ``ev`` stops:
    float32 HxWx3 in [0, 1]."""
    x = image.astype(np.float32) / 255.0 if image.dtype == np.uint8 else image
    return linear_to_srgb(srgb_to_linear(x) * np.float32(2.0 ** ev))


class ExposureCrops(Dataset):
    """Random re-exposed training crops, ``3 x image_size x image_size`` float32 in [0, 1].

    Item ``i`` is a crop of image ``i // repeat``.

    Attributes:
        sources: the image sources (paths or embedded names).
        samples: ``(source,)`` of each item (what the engine names a skipped item by).
        rng: the generator of crops, flips and exposures (saved for exact resume).
    """

    def __init__(self, sources: list[str], cfg: LowlightConfig, seed: int) -> None:
        self.sources = sources
        self.samples = [(s,) for s in sources for _ in range(cfg.repeat)]
        self.cfg = cfg
        self.rng = np.random.default_rng(seed)

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> torch.Tensor:
        import cv2

        cfg, rng = self.cfg, self.rng
        image = read_source(self.sources[index // cfg.repeat])
        h, w = image.shape[:2]
        side = min(int(rng.integers(cfg.crop_min, cfg.crop_max + 1)), h, w)
        y = int(rng.integers(0, h - side + 1))
        x = int(rng.integers(0, w - side + 1))
        crop = image[y:y + side, x:x + side]
        if side != cfg.image_size:
            interp = cv2.INTER_AREA if side > cfg.image_size else cv2.INTER_CUBIC
            crop = cv2.resize(crop, (cfg.image_size, cfg.image_size), interpolation=interp)
        if rng.random() < 0.5:
            crop = crop[:, ::-1]
        ev = float(cfg.exposures[int(rng.integers(0, len(cfg.exposures)))])
        return _tensor(reexpose(crop, ev))


class DarkCrops(ValCrops):
    """``(dark, clean)`` validation pairs, ``3 x val_size x val_size`` float32: the central crop
    of each validation image (at most ``val_images``) and that crop re-exposed by
    ``val_exposure``. Unreadable or small images are left out and listed in :attr:`skipped`
    (indexing and ``summary()`` are the restore task's :class:`ValCrops`')."""

    def __init__(self, sources: list[str], cfg: LowlightConfig) -> None:
        self.skipped: dict[str, str] = {}
        crops = central_crops(sources, cfg.val_size, cfg.val_images, self.skipped)
        self.names = [source for source, _ in crops]
        self.pairs = [(_tensor(reexpose(crop, cfg.val_exposure)),
                       _tensor(crop.astype(np.float32) / 255.0)) for _, crop in crops]
