"""Helpers of the style-transfer modules: input checking, resizing, numpy <-> tensor."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from oculi.core.checks import check_image
from oculi.core.convert import ensure_float01, ensure_uint8, to_rgb


def as_rgb01(image: Any, name: str) -> np.ndarray:
    """An image array or a file path -> HxWx3 float32 RGB in [0, 1].

    Raises:
        ImageReadError: a path that is missing or not an image.
        ShapeError / DTypeError / ValueRangeError: a bad array.
    """
    if isinstance(image, (str, os.PathLike)):
        from oculi.io import read_image

        image = read_image(image, mode="rgb")
    return ensure_float01(to_rgb(check_image(image, name, min_size=8), name), name)


def fit_long_side(image: np.ndarray, size: int | None, name: str = "image_size") -> np.ndarray:
    """``image`` resized (area/linear) so its longer side is ``size`` pixels (None or 0: as is).

    Raises:
        ParameterError: a negative or NaN ``size`` (named ``name``).
    """
    import cv2

    from oculi.core.errors import ParameterError

    if size is not None and not size >= 0:
        raise ParameterError(f"{name}: expected a side in pixels >= 0, got {size!r}")
    h, w = image.shape[:2]
    if not size or max(h, w) == size:
        return image
    s = size / max(h, w)
    shape = (max(1, round(w * s)), max(1, round(h * s)))
    interp = cv2.INTER_AREA if s < 1 else cv2.INTER_CUBIC
    return np.clip(cv2.resize(image, shape, interpolation=interp), 0, 1)


def tensor(image: np.ndarray, device: Any = "cpu"):
    """HxWx3 float32 [0, 1] -> 1x3xHxW tensor on ``device``."""
    from oculi.core.convert import to_tensor_batch

    return to_tensor_batch([image]).to(device)


def image_of(t) -> np.ndarray:
    """A 1x3xHxW tensor -> HxWx3 float32 in [0, 1] (clipped)."""
    from oculi.core.convert import to_numpy_image

    return np.clip(to_numpy_image(t.detach().float().cpu()), 0.0, 1.0)


@dataclass
class StyleResult:
    """A stylised image and how it was reached.

    Attributes:
        image: HxWx3 uint8 RGB.
        losses: the final unweighted ``content``, ``style``, ``tv`` losses and the weighted
            ``total`` (measured on the feature network used for the transfer).
        history: one dict per loss evaluation (``step``, ``total``, ``content``, ``style``,
            ``tv``); empty for feed-forward models.
        seconds: wall time of the transfer.
        method: ``gatys-lbfgs``, ``gatys-adam``, ``johnson`` or ``adain``.
    """

    image: np.ndarray
    losses: dict[str, float] = field(default_factory=dict)
    history: list[dict[str, float]] = field(default_factory=list)
    seconds: float = 0.0
    method: str = ""

    def summary(self) -> dict[str, Any]:
        """JSON-able: size, method, seconds, final losses, number of evaluations."""
        return {"method": self.method, "size": [int(self.image.shape[0]),
                                                 int(self.image.shape[1])],
                "seconds": round(self.seconds, 4), "losses": self.losses,
                "evaluations": len(self.history)}


def to_uint8(image: np.ndarray) -> np.ndarray:
    return ensure_uint8(np.clip(image, 0.0, 1.0).astype(np.float32))
