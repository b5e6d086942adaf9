"""A model's input contract: size, mean, std, interpolation, crop — and its preprocessing.

Images enter oculi's deep-learning code as NCHW float32 tensors in [0, 1]. Normalisation by ``mean``
and ``std`` happens *inside* the model (:class:`Normalize`, the first module of every
:class:`~oculi.models.Classifier`), never in the caller's memory, so attributions, augmentations and
mixing all work in image space.

    >>> import numpy as np
    >>> spec = InputSpec(size=(224, 224))
    >>> spec.preprocess([np.zeros((300, 451, 3), np.uint8)]).shape
    torch.Size([1, 3, 224, 224])
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace
from typing import Any

import numpy as np
import torch
from torch import nn

from oculi.core.checks import check_choice, check_image
from oculi.core.constants import IMAGENET_MEAN, IMAGENET_STD
from oculi.core.convert import ensure_float01, to_rgb
from oculi.core.errors import ParameterError

INTERPOLATIONS = ("bilinear", "bicubic", "nearest", "area")


@dataclass(frozen=True)
class InputSpec:
    """What a model expects: input size (height, width), normalisation and resize policy.

    Attributes:
        size: (height, width) in pixels the model was trained at.
        mean, std: per-channel RGB normalisation applied inside the model to [0, 1] input.
        interpolation: resize filter for preprocessing ("bilinear", "bicubic", "nearest", "area").
        crop_pct: evaluation centre-crop fraction: resize the short side to ``size / crop_pct``,
            then crop ``size`` (timm's convention; 1.0 means resize straight to the short side).
        fixed_size: the architecture accepts only ``size`` (no global pooling).
    """

    size: tuple[int, int] = (224, 224)
    mean: tuple[float, float, float] = IMAGENET_MEAN
    std: tuple[float, float, float] = IMAGENET_STD
    interpolation: str = "bicubic"
    crop_pct: float = 0.875
    fixed_size: bool = False
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        check_choice(self.interpolation, INTERPOLATIONS, "interpolation")
        if not 0.1 <= self.crop_pct <= 1.0:
            raise ParameterError(f"crop_pct: expected a fraction in [0.1, 1], got {self.crop_pct}")
        if len(self.size) != 2 or min(self.size) < 8:
            raise ParameterError(f"size: expected (height, width) >= 8 pixels, got {self.size}")

    @property
    def resize_short_side(self) -> int:
        """Short side (pixels) images are resized to before the centre crop."""
        return (math.floor(min(self.size) / self.crop_pct))

    def with_size(self, size: int | tuple[int, int]) -> InputSpec:
        """A copy for another input size (e.g. 160 or 288 pixels)."""
        hw = (size, size) if isinstance(size, int) else tuple(size)
        return replace(self, size=hw)

    def to_dict(self) -> dict[str, Any]:
        """JSON-friendly dict (for run folders and checkpoints)."""
        d = asdict(self)
        d["size"] = list(self.size)
        return d

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> InputSpec:
        keys = {"size", "mean", "std", "interpolation", "crop_pct", "fixed_size"}
        kw = {k: v for k, v in d.items() if k in keys}
        for k in ("size", "mean", "std"):
            if k in kw:
                kw[k] = tuple(kw[k])
        return cls(**kw)

    def preprocess(
        self, images: np.ndarray | Sequence[np.ndarray], *, crop: bool = True
    ) -> torch.Tensor:
        """HWC images -> NCHW float32 tensor in [0, 1] at the model's input size.

        Args:
            images: one image or a list; each HxWx3 (or HxW gray, or RGBA) ``uint8``/``uint16`` or
                float in [0, 1], RGB order. Sizes may differ.
            crop: resize the short side to :attr:`resize_short_side` and centre-crop :attr:`size`
                (evaluation transform); False resizes straight to :attr:`size` (aspect not kept).

        Returns:
            ``(N, 3, H, W)`` float32 tensor in [0, 1] (not normalised: the model does that).
        """
        items = [images] if isinstance(images, np.ndarray) and images.ndim in (2, 3) else images
        out = [self._one(check_image(im, f"images[{i}]"), crop) for i, im in enumerate(items)]
        if not out:
            raise ParameterError("images: expected at least one image, got none")
        return torch.stack(out)

    def _one(self, image: np.ndarray, crop: bool) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(ensure_float01(to_rgb(image)))).permute(2, 0, 1)
        return resize_crop(x[None], self.size, self.interpolation,
                           self.resize_short_side if crop else None)[0]


def resize_crop(
    x: torch.Tensor, size: tuple[int, int], interpolation: str, short_side: int | None
) -> torch.Tensor:
    """Resize an NCHW [0, 1] tensor (short side to ``short_side`` then centre crop ``size``, or
    straight to ``size`` when ``short_side`` is None); antialiased when shrinking, in [0, 1]."""
    h, w = x.shape[-2:]
    if short_side is None:
        target = size
    else:
        # torchvision's Resize(int): the long side truncated, as timm's eval transform does
        target = ((short_side, int(short_side * w / h)) if h <= w
                  else (int(short_side * h / w), short_side))
        target = (max(size[0], target[0]), max(size[1], target[1]))
    if (h, w) != tuple(target):
        mode = interpolation
        kw: dict[str, Any] = {}
        if mode in ("bilinear", "bicubic"):
            kw = {"align_corners": False, "antialias": target[0] < h or target[1] < w}
        x = torch.nn.functional.interpolate(x, size=target, mode=mode, **kw).clamp_(0, 1)
    if short_side is not None:
        th, tw = size
        top = (x.shape[-2] - th) // 2
        left = (x.shape[-1] - tw) // 2
        x = x[..., top : top + th, left : left + tw]
    return x.contiguous()


class Normalize(nn.Module):
    """``(x - mean) / std`` per channel for NCHW input in [0, 1]; mean and std are buffers."""

    def __init__(self, mean: Sequence[float], std: Sequence[float]) -> None:
        super().__init__()
        if min(std) <= 0:
            raise ParameterError(f"std: expected positive values, got {tuple(std)}")
        self.register_buffer("mean", torch.tensor(mean, dtype=torch.float32).view(1, -1, 1, 1))
        self.register_buffer("std", torch.tensor(std, dtype=torch.float32).view(1, -1, 1, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.mean) / self.std
