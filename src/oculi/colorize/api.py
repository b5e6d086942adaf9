"""Colourise with a trained run, and score a run on held-out colour photos.

:func:`colorize` keeps the input's own lightness at full resolution: the network sees L resized
to the run's ``short_side`` (sides rounded to multiples of 32), its ab is upsampled bilinearly
to the input size and joined to the original L (chroma at a lower resolution than luminance, as
Zhang et al. do). A run folder loads its **last** weights: the validation numbers do not rank
colourisations (the ab error favours washed-out colour), so ``best.safetensors`` is not used.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from oculi.colorize.lab import image_to_lab, lab_to_image
from oculi.colorize.task import CHECKPOINT_KEY
from oculi.core.checks import check_image

RunArg = str | os.PathLike[str]


def load_colorizer(run: RunArg) -> nn.Module:
    """The colouriser of a run folder (its ``last.safetensors``) or a checkpoint file.

    Raises:
        DataError: not a colorize run or checkpoint.
    """
    from oculi.colorize.nets import build_colorizer
    from oculi.train.checkpoint import load_run_model

    p = Path(run)
    if p.is_dir() and (p / "last.safetensors").is_file():
        p = p / "last.safetensors"

    def rebuild(conf: dict[str, Any]) -> nn.Module:
        return build_colorizer(conf.pop("kind"), pretrained=False, **conf)

    return load_run_model(p, CHECKPOINT_KEY, "colorize", rebuild)


def _model(run: RunArg | nn.Module) -> nn.Module:
    return run if isinstance(run, nn.Module) else load_colorizer(run)


@torch.no_grad()
def predict_ab(lightness: np.ndarray, model: nn.Module, temperature: float | None = None
               ) -> np.ndarray:
    """ab of a lightness image.

    Args:
        lightness: ``H x W`` float L in [0, 100].
        model: a colouriser (:func:`load_colorizer`).
        temperature: annealed-mean T (None: the run's).

    Returns:
        ``H x W x 2`` float32 ab.
    """
    h, w = lightness.shape
    k = model.short_side / min(h, w)
    size = (max(32, round(h * k / 32) * 32), max(32, round(w * k / 32) * 32))
    grey = torch.from_numpy(np.ascontiguousarray(lightness, np.float32))[None, None] / 100.0
    device = next(model.parameters()).device
    small = F.interpolate(grey, size=size, mode="area" if k < 1 else "bilinear").to(device)
    ab = model.predict_ab(small, model.temperature if temperature is None else temperature)
    ab = F.interpolate(ab.float().cpu(), size=(h, w), mode="bilinear", align_corners=False)
    return ab[0].permute(1, 2, 0).numpy()


def colorize(image: np.ndarray, run: RunArg | nn.Module, *,
             temperature: float | None = None) -> np.ndarray:
    """Colourise an image from its lightness.

    Args:
        image: ``H x W`` gray or ``H x W x 3`` RGB (only its lightness is used), uint8 or float
            in [0, 1].
        run: a run folder, checkpoint or loaded colouriser.
        temperature: annealed-mean T of a classification run (None: the run's, 0.38 by
            default; 1: the mean, which is browner and flatter).

    Returns:
        ``H x W x 3`` uint8 RGB with the input's lightness.
    """
    check_image(image, "image")
    lab = image_to_lab(image)
    lab[..., 1:] = predict_ab(lab[..., 0], _model(run), temperature)
    return lab_to_image(lab)
