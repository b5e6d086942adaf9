"""Image + mask folders as datasets, with mask-aware augmentation (albumentations).

Folder layouts found automatically under ``root``: ``image/`` + ``label/``, ``images/`` +
``masks/``, ``images/`` + ``labels/``; images and masks pair by file stem. Mask kinds:

* ``"index"``: a single-channel PNG whose values are class indices ``0..C-1`` (``ignore_index``
  allowed, e.g. CamVid's void 11 or 255).
* ``"binary"``: 0/255 (or 0/1) masks; foreground = values above half the maximum, or below it
  with ``invert=True`` (the ISBI membranes are the black pixels). Class 1 = foreground.
* ``"instance"``: instance-id masks (0 = background, each object its own id); the semantic
  target is id > 0, :meth:`SegmentationFolder.instances` returns the ids.

Every pair is checked: a mask whose size differs from its image, or class indices beyond the
declared classes, raise an error naming the file. An empty mask (all background) is valid.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch

from oculi.core.checks import check_choice
from oculi.core.errors import DataError, OculiError, ShapeError, ValueRangeError
from oculi.segment.config import MASK_KINDS

_LAYOUTS = (("image", "label"), ("images", "masks"), ("images", "labels"), ("image", "mask"))
_EXTS = {".png", ".jpg", ".jpeg", ".tif", ".tiff", ".bmp"}


def find_pairs(root: str | os.PathLike[str]) -> list[tuple[Path, Path]]:
    """``(image, mask)`` paths under ``root`` paired by stem, sorted by name.

    Raises:
        DataError: no known layout, no images, or images without a mask.
    """
    root = Path(root)
    for img_dir, mask_dir in _LAYOUTS:
        if (root / img_dir).is_dir() and (root / mask_dir).is_dir():
            break
    else:
        raise DataError(
            f"{root}: expected sub-folders image/ + label/ (or images/ + masks/) holding images "
            "and masks with the same file names"
        )
    images = sorted(p for p in (root / img_dir).iterdir() if p.suffix.lower() in _EXTS)
    masks = {p.stem: p for p in (root / mask_dir).iterdir() if p.suffix.lower() in _EXTS}
    if not images:
        raise DataError(f"{root / img_dir}: no images")
    missing = [p.name for p in images if p.stem not in masks]
    if missing:
        raise DataError(
            f"{root / mask_dir}: no mask for {len(missing)} image(s), e.g. {missing[:3]}"
        )
    return [(p, masks[p.stem]) for p in images]


def mask_to_target(
    mask: np.ndarray,
    kind: str,
    *,
    num_classes: int | None = None,
    ignore_index: int | None = None,
    invert: bool = False,
    source: str = "mask",
) -> np.ndarray:
    """A raw mask array -> ``int64`` HxW class indices (see the module docstring).

    Raises:
        ShapeError: not single-channel.
        ValueRangeError: index values beyond ``num_classes`` (other than ``ignore_index``).
    """
    check_choice(kind, MASK_KINDS, "mask_kind")
    m = np.asarray(mask)
    if m.ndim == 3:
        if m.shape[2] == 1 or ((m[..., 0] == m[..., 1]).all() and (m[..., 0] == m[..., 2]).all()):
            m = m[..., 0]
        else:
            raise ShapeError(
                f"{source}: expected a single-channel mask, got {m.shape[2]} channels "
                "(a colour-coded mask: map colours to class indices first)"
            )
    if kind == "instance":
        return (m > 0).astype(np.int64)
    if kind == "binary":
        top = 1 if int(m.max(initial=0)) <= 1 else (255 if m.dtype == np.uint8 else int(m.max()))
        fg = m > top / 2
        return (~fg if invert else fg).astype(np.int64)
    t = m.astype(np.int64)
    if num_classes is not None:
        bad = (t < 0) | (t >= num_classes)
        if ignore_index is not None:
            bad &= t != ignore_index
        if bad.any():
            vals = np.unique(t[bad])[:5].tolist()
            raise ValueRangeError(
                f"{source}: class indices must lie in [0, {num_classes - 1}]"
                + (f" or equal ignore_index={ignore_index}" if ignore_index is not None else "")
                + f", found {vals} — declare more classes or set ignore_index"
            )
    return t


@dataclass
class Sample:
    """One decoded pair: RGB (or gray) image HxWxC uint8 and int64 HxW target."""

    image: np.ndarray
    target: np.ndarray
    name: str


class SegmentationFolder(torch.utils.data.Dataset):
    """Pairs of images and masks from a folder, decoded once and kept in memory.

    Args:
        root: folder with an image and a mask sub-folder (see :func:`find_pairs`), or a list of
            ``(image, mask)`` paths.
        mask_kind: ``"index"``, ``"binary"`` or ``"instance"``.
        num_classes: classes including background (binary/instance: 2).
        ignore_index: mask value excluded from losses and metrics.
        invert: binary masks: the dark pixels are the foreground.
        rgb: decode images as RGB (3 channels; gray images repeated) — pretrained encoders need it.
        transform: an albumentations transform (``image=``, ``mask=``) or None.
        indices: keep only these pairs (a split), in this order.
        class_names: names of the classes.

    Items are ``(image, target)``: ``(C, H, W)`` float32 in [0, 1] and ``(H, W)`` int64.
    """

    def __init__(
        self,
        root: str | os.PathLike[str] | Sequence[tuple[Path, Path]],
        *,
        mask_kind: str = "index",
        num_classes: int | None = None,
        ignore_index: int | None = None,
        invert: bool = False,
        rgb: bool = True,
        transform: Callable[..., dict[str, Any]] | None = None,
        indices: Sequence[int] | None = None,
        class_names: Sequence[str] | None = None,
    ) -> None:
        from oculi.io import read_image

        check_choice(mask_kind, MASK_KINDS, "mask_kind")
        pairs = find_pairs(root) if isinstance(root, (str, os.PathLike)) else list(root)
        if indices is not None:
            pairs = [pairs[i] for i in indices]
        if mask_kind in ("binary", "instance"):
            num_classes = 2
        self.mask_kind, self.num_classes, self.ignore_index = mask_kind, num_classes, ignore_index
        self.transform, self.class_names = transform, list(class_names) if class_names else None
        self.samples: list[Sample] = []
        self._instances: list[np.ndarray] = []
        #: pairs that could not be read: (image path, reason), skipped
        self.skipped: list[tuple[str, str]] = []
        for img_path, mask_path in pairs:
            try:
                image = read_image(img_path, mode="rgb" if rgb else "unchanged")
                raw = read_image(mask_path, mode="unchanged")
            except (OculiError, OSError) as exc:
                self.skipped.append((str(img_path), " ".join(str(exc).split())))
                continue
            if raw.shape[:2] != image.shape[:2]:
                raise ShapeError(
                    f"{mask_path}: mask is {raw.shape[1]}x{raw.shape[0]} but image {img_path.name} "
                    f"is {image.shape[1]}x{image.shape[0]} — masks must have their image's size"
                )
            self._add(image, raw, img_path.stem, str(mask_path), invert)
        if pairs and not self.samples:
            raise DataError(f"none of the {len(pairs)} image/mask pair(s) could be read: "
                            f"{self.skipped[0][0]}: {self.skipped[0][1]}")
        if self.num_classes is None:
            top = max(
                int(
                    s.target[s.target != (ignore_index if ignore_index is not None else -1)].max(
                        initial=0
                    )
                )
                for s in self.samples
            )
            self.num_classes = max(2, top + 1)

    def _add(
        self, image: np.ndarray, raw: np.ndarray, name: str, source: str, invert: bool = False
    ) -> None:
        """Check and keep one pair (``raw``: the mask as read, already of the image's size)."""
        target = mask_to_target(
            raw,
            self.mask_kind,
            num_classes=self.num_classes,
            ignore_index=self.ignore_index,
            invert=invert,
            source=source,
        )
        if self.mask_kind == "instance":
            self._instances.append(np.asarray(raw if raw.ndim == 2 else raw[..., 0]))
        self.samples.append(Sample(image if image.ndim == 3 else image[..., None], target, name))

    @classmethod
    def from_arrays(
        cls,
        images: Sequence[np.ndarray],
        targets: Sequence[np.ndarray],
        *,
        num_classes: int,
        ignore_index: int | None = None,
        names: Sequence[str] | None = None,
        class_names: Sequence[str] | None = None,
    ) -> SegmentationFolder:
        """A dataset from in-memory HxWx3 uint8 images and HxW class-index targets."""
        self = cls([], num_classes=num_classes, ignore_index=ignore_index, class_names=class_names)
        for i, (im, t) in enumerate(zip(images, targets, strict=True)):
            if im.shape[:2] != t.shape[:2]:
                raise ShapeError(
                    f"targets[{i}]: size {t.shape[:2]} differs from the image's {im.shape[:2]}"
                )
            self._add(im, t, names[i] if names else f"{i:04d}", f"targets[{i}]")
        return self

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, i: int) -> tuple[torch.Tensor, torch.Tensor]:
        s = self.samples[i]
        image, target = s.image, s.target
        if self.transform is not None:
            out = self.transform(image=image, mask=target.astype(np.int32))
            image, target = out["image"], out["mask"]
        x = torch.from_numpy(np.ascontiguousarray(image.transpose(2, 0, 1))).float().div_(255.0)
        return x, torch.from_numpy(np.ascontiguousarray(target)).long()

    def instances(self, i: int) -> np.ndarray:
        """The instance-id mask of item ``i`` (``mask_kind="instance"`` only)."""
        if self.mask_kind != "instance":
            raise DataError("instances: the dataset was not read with mask_kind='instance'")
        return self._instances[i]

    def class_pixels(self) -> np.ndarray:
        """Pixel count per class over the dataset (ignored pixels not counted)."""
        counts = np.zeros(int(self.num_classes or 2), np.int64)
        for s in self.samples:
            t = (
                s.target[s.target != self.ignore_index]
                if self.ignore_index is not None
                else s.target
            )
            counts += np.bincount(t.ravel(), minlength=counts.size)[: counts.size]
        return counts


def train_augmentation(
    crop: tuple[int, int] | int,
    *,
    scale: tuple[float, float] = (0.5, 1.0),
    flips: str = "h",
    color: float = 0.2,
    ignore_index: int | None = None,
    seed: int | None = None,
):
    """A mask-aware training transform: random resized crop, flips, light colour jitter.

    Args:
        crop: output (height, width) (or one int).
        scale: area fraction range of the random crop (``(1, 1)``: plain random crops).
        flips: ``"h"`` horizontal, ``"hv"`` plus vertical and 90° rotations (microscopy), ``""``.
        color: brightness/contrast jitter amplitude (0 disables).
        ignore_index: value of padded mask pixels (0 when None).
        seed: seed of the transform's random generator (None: fresh entropy, runs differ).
    """
    from oculi.augment import augment_preset

    return augment_preset("segment-train", crop, seed=seed, scale=scale, flips=flips, color=color,
                          ignore_index=ignore_index)
