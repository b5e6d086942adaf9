"""Training and validation data of the ``restore`` task: clean photos from folders (or the
embedded ones), degraded on the fly.

- :func:`image_sources` finds the images: a folder's ``train/`` and ``val/`` (searched
  recursively), else its images in name order with the last ``val_split`` held out; the embedded
  photos (:data:`EMBEDDED_TRAIN`, validation :data:`EMBEDDED_VAL`) with no folder (None or
  ``-``) or ``with_embedded``.
- :class:`Patches` gives ``repeat`` random crops per image per epoch (random flips and 90-degree
  rotations) as ``(degraded, clean)`` float32 tensors — ``(lr, degradation, clean)`` for SRMD
  (the degradation vector of :func:`oculi.restore.kernels.degradation_vector`), and
  ``(noisy, noisy)`` for Noise2Noise (``target="noisy"``: two independent noise draws of one
  sigma; the clean crop is not returned); an unreadable image raises, and the engine skips it.
- :class:`ValCrops` gives the central ``val_size`` crop of each validation image, degraded once
  with a fixed seed (always with its clean target).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from oculi.core.errors import DataError, OculiError
from oculi.restore.config import RestoreConfig
from oculi.restore.resize import imresize
from oculi.restore.trained import rgb_to_ycbcr

#: embedded photos trained on (none of them is in Set5 or Kodak)
EMBEDDED_TRAIN = ("astronaut", "camera", "coffee", "rocket", "coins", "moon", "brick", "grass",
                  "gravel", "hubble", "ihc", "motorcycle_left")
#: embedded photos validated on
EMBEDDED_VAL = ("chelsea", "motorcycle_right")
#: image file suffixes searched in folders
SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".gif", ".ppm", ".pgm")


def image_files(folder: Path) -> list[str]:
    """The image files under ``folder`` (recursively, :data:`SUFFIXES`), in name order."""
    return sorted(str(p) for p in folder.rglob("*") if p.suffix.lower() in SUFFIXES)


def image_sources(data: str | os.PathLike[str] | Sequence[str | os.PathLike[str]] | None,
                  cfg: RestoreConfig) -> tuple[list[str], list[str]]:
    """``(train, val)`` image sources: file paths, or embedded photo names.

    Raises:
        DataError: a folder that does not exist or holds no image.
    """
    if data is None or str(data) == "-":
        data = []
    folders = [data] if isinstance(data, (str, os.PathLike)) else list(data)
    train: list[str] = []
    val: list[str] = []
    for folder in map(Path, folders):
        if not folder.is_dir():
            raise DataError(f"{folder}: not a folder of images")
        if (folder / "train").is_dir() and (folder / "val").is_dir():
            t, v = image_files(folder / "train"), image_files(folder / "val")
        else:
            files = image_files(folder)
            k = max(1, round(cfg.val_split * len(files))) if len(files) > 1 else 0
            t, v = files[:len(files) - k], files[len(files) - k:]
        if not t:
            raise DataError(f"{folder}: no training images ({', '.join(SUFFIXES)})")
        train += t
        val += v
    if not folders or cfg.with_embedded:
        train += list(EMBEDDED_TRAIN)
        val += list(EMBEDDED_VAL)
    return train, val


def read_source(source: str) -> np.ndarray:
    """An image source as HxWx3 uint8 RGB (gray repeated)."""
    if os.sep in source or "." in source:
        from oculi.io import read_image

        image = read_image(source, mode="rgb")
    else:
        from oculi.data import load

        image = load(source, mode="rgb")
    return np.ascontiguousarray(image)


def read_short_side(source: str, short_side: int) -> np.ndarray:
    """:func:`read_source` resized so its shorter side is ``short_side`` pixels (area when
    shrinking, cubic when enlarging): HxWx3 uint8 RGB."""
    import cv2

    image = read_source(source)
    h, w = image.shape[:2]
    k = short_side / min(h, w)
    size = (max(short_side, round(w * k)), max(short_side, round(h * k)))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA if k < 1 else cv2.INTER_CUBIC)


def to_planes(rgb: np.ndarray, channels: int) -> np.ndarray:
    """uint8 RGB -> float32 HxWxC in [0, 1]: RGB, or the Y of YCbCr (``channels=1``)."""
    x = rgb.astype(np.float32) / np.float32(255.0)
    return x if channels == 3 else rgb_to_ycbcr(x)[..., :1]


def degrade(clean: np.ndarray, cfg: RestoreConfig, rng: np.random.Generator,
            sigma: float | None = None) -> np.ndarray:
    """The network input made from a clean HxWxC float32 crop: MATLAB-bicubic shrinking by
    ``cfg.scale`` (sr) or Gaussian noise of ``sigma`` grey levels (denoise; None: drawn from
    ``cfg.sigma``), not clipped."""
    if cfg.problem == "sr":
        return imresize(clean, 1.0 / cfg.scale)
    if sigma is None:
        sigma = float(rng.uniform(*cfg.sigma))
    noise = rng.standard_normal(clean.shape).astype(np.float32)
    return clean + noise * np.float32(sigma / 255.0)


def degrade_srmd(clean: np.ndarray, cfg: RestoreConfig, rng: np.random.Generator
                 ) -> tuple[np.ndarray, np.ndarray]:
    """SRMD's training degradation of a clean HxWxC float32 crop (H, W multiples of the
    scale): a kernel from :func:`oculi.restore.kernels.sample_kernel` (``cfg.blur_range``,
    ``cfg.anisotropic``), :func:`~oculi.restore.kernels.blur_downsample` by ``cfg.scale``, then
    Gaussian noise with sigma drawn from ``cfg.sigma`` (not clipped).

    Returns:
        ``(lr, degradation)``: (H/s)x(W/s)xC float32 and the (kernel_size**2 + 1,) float32
        condition vector.
    """
    from oculi.restore.kernels import blur_downsample, degradation_vector, sample_kernel

    kernel = sample_kernel(rng, cfg.kernel_size, cfg.blur_range, cfg.anisotropic)
    low = blur_downsample(clean, kernel, cfg.scale, cfg.downsample)
    sigma = float(rng.uniform(*cfg.sigma))
    noise = rng.standard_normal(low.shape).astype(np.float32) * np.float32(sigma / 255.0)
    return low + noise, degradation_vector(kernel, sigma)


def training_pair(clean: np.ndarray, cfg: RestoreConfig, rng: np.random.Generator
                  ) -> tuple[torch.Tensor, ...]:
    """One training item made from a clean HxWxC float32 crop (see the module doc)."""
    if cfg.srmd:
        low, condition = degrade_srmd(clean, cfg, rng)
        return _tensor(low), torch.from_numpy(condition), _tensor(clean)
    if cfg.target == "noisy":
        sigma = float(rng.uniform(*cfg.sigma))
        return _tensor(degrade(clean, cfg, rng, sigma)), _tensor(degrade(clean, cfg, rng, sigma))
    return _tensor(degrade(clean, cfg, rng)), _tensor(clean)


def random_view(rng: np.random.Generator, *images: np.ndarray, size: int
                ) -> list[np.ndarray]:
    """The same random ``size`` x ``size`` crop, flip and 90-degree rotation of each image
    (all of one height and width), contiguous."""
    h, w = images[0].shape[:2]
    y = int(rng.integers(0, h - size + 1))
    x = int(rng.integers(0, w - size + 1))
    flip = rng.random() < 0.5
    turns = int(rng.integers(0, 4))
    out = []
    for image in images:
        crop = image[y:y + size, x:x + size]
        if flip:
            crop = crop[:, ::-1]
        out.append(np.ascontiguousarray(np.rot90(crop, turns)))
    return out


def evaluation_crop(image: np.ndarray, crop: int, multiple: int = 1) -> np.ndarray:
    """The central ``crop`` x ``crop`` pixels of an HxW(xC) image (0: all of it; a side shorter
    than ``crop`` is kept whole), trimmed at the bottom and right to multiples of ``multiple``
    (a view)."""
    if crop:
        cy, cx = image.shape[0] // 2, image.shape[1] // 2
        image = image[max(0, cy - crop // 2):cy + crop - crop // 2,
                      max(0, cx - crop // 2):cx + crop - crop // 2]
    h, w = image.shape[:2]
    return image[:h - h % multiple, :w - w % multiple]


def _tensor(x: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(x.transpose(2, 0, 1)))


class Patches(Dataset):
    """Random training crops ``(degraded, clean)``, C x h x w float32 tensors.

    Item ``i`` is a crop of image ``i // repeat``.

    Attributes:
        sources: the image sources (paths or embedded names).
        samples: ``(source,)`` of each item (what the engine names a skipped item by).
    """

    def __init__(self, sources: list[str], cfg: RestoreConfig, seed: int) -> None:
        self.sources = sources
        self.samples = [(s,) for s in sources for _ in range(cfg.repeat)]
        self.cfg = cfg
        self.rng = np.random.default_rng(seed)
        self._cache: dict[int, np.ndarray] = {}

    def __len__(self) -> int:
        return len(self.samples)

    def _image(self, k: int) -> np.ndarray:
        if k not in self._cache:
            image = read_source(self.sources[k])
            p = self.cfg.patch
            if min(image.shape[:2]) < p:
                raise DataError(f"{self.sources[k]}: {image.shape[1]}x{image.shape[0]} is "
                                f"smaller than the {p}-pixel training crop")
            self._cache[k] = image
        return self._cache[k]

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        image = self._image(index // self.cfg.repeat)
        (crop,) = random_view(self.rng, image, size=self.cfg.patch)
        return training_pair(to_planes(crop, self.cfg.planes), self.cfg, self.rng)


def central_crops(sources: Sequence[str], size: int, limit: int, skipped: dict[str, str],
                  read: Callable[[str], np.ndarray] = read_source
                  ) -> list[tuple[str, np.ndarray]]:
    """``(source, crop)`` of the first ``limit`` sources that read and have both sides >= ``size``:
    the central ``size`` x ``size`` square of ``read(source)`` (an HxWxC array; the default
    :func:`read_source` gives uint8 RGB as stored). Sources that ``read`` refuses (an oculi
    error or ``OSError``) and smaller ones are added to ``skipped`` (source -> reason).

    Raises:
        DataError: no source gives a crop (the message names the first reasons).
    """
    out: list[tuple[str, np.ndarray]] = []
    for source in sources:
        if len(out) >= limit:
            break
        try:
            image = read(source)
        except (OculiError, OSError) as exc:
            skipped[source] = " ".join(str(exc).split())
            continue
        h, w = image.shape[:2]
        if min(h, w) < size:
            skipped[source] = f"{w}x{h} is smaller than val_size {size}"
            continue
        y, x = (h - size) // 2, (w - size) // 2
        out.append((source, image[y:y + size, x:x + size]))
    if not out:
        why = "; ".join(f"{Path(s).name}: {skipped[s]}" for s in sources if s in skipped)
        raise DataError(f"validation: none of {len(sources)} image(s) gives a {size}x{size} "
                        f"crop ({why[:300] or 'no images'})")
    return out


class ValCrops(Dataset):
    """The central ``val_size`` crop of each validation image (at most ``val_images``),
    degraded once (seed 0; noise of ``val_sigma``; SRMD: kernels and noise drawn as in
    training). Unreadable or small images are left out and listed in :attr:`skipped`."""

    def __init__(self, sources: list[str], cfg: RestoreConfig) -> None:
        rng = np.random.default_rng(0)
        s = cfg.val_size - cfg.val_size % (cfg.scale if cfg.problem == "sr" else 1)
        self.pairs: list[tuple[torch.Tensor, ...]] = []
        self.skipped: dict[str, str] = {}
        crops = central_crops(sources, s, cfg.val_images, self.skipped)
        self.names = [source for source, _ in crops]
        for _, crop in crops:
            clean = to_planes(crop, cfg.planes)
            if cfg.srmd:  # SRMD validates on its training degradations (drawn with seed 0)
                self.pairs.append(training_pair(clean, cfg, rng))
                continue
            noisy = degrade(clean, cfg, rng, cfg.val_sigma)
            self.pairs.append((_tensor(noisy), _tensor(clean)))

    def __len__(self) -> int:
        return len(self.pairs)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, ...]:
        return self.pairs[index]

    def summary(self) -> dict[str, Any]:
        return {"val_images": self.names, "val_skipped": self.skipped}
