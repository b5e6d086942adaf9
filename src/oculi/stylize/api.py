"""The style-transfer verbs: :func:`stylize` (Gatys optimisation, or a network trained with
``oculi train stylize``) and :func:`load_stylizer`."""

from __future__ import annotations

import json
import os
import time
from typing import Any

import numpy as np
import torch
from torch import nn

from oculi.core.checks import check_in_range
from oculi.core.errors import DataError, ParameterError
from oculi.stylize._common import StyleResult, as_rgb01, fit_long_side, image_of, tensor, to_uint8
from oculi.stylize.color import COLOR_MODES, keep_chroma, match_colors
from oculi.stylize.nets import AdaINNet, build_stylizer
from oculi.stylize.task import CHECKPOINT_KEY

Run = str | os.PathLike[str]


def load_stylizer(run: Run) -> tuple[nn.Module, dict[str, Any]]:
    """The network of a ``stylize`` run folder (or checkpoint), in eval mode, and its config
    (``model``, ``width``, ..., ``style``: the training style's path).

    Raises:
        DataError: no checkpoint, or the checkpoint of another task.
    """
    from oculi.models.weights import read_metadata
    from oculi.train.checkpoint import load_run_model, resolve_checkpoint

    meta = read_metadata(resolve_checkpoint(run, "stylize"))
    if CHECKPOINT_KEY not in meta:
        raise DataError(f"{run}: not a stylize run (no {CHECKPOINT_KEY} metadata)")
    model = load_run_model(run, CHECKPOINT_KEY, "stylize", build_stylizer)
    return model, json.loads(meta[CHECKPOINT_KEY])


def _net_output(model: nn.Module, content: np.ndarray, style: np.ndarray | None,
                alpha: float) -> np.ndarray:
    device = next(model.parameters()).device
    with torch.no_grad():
        if isinstance(model, AdaINNet):
            if style is None:
                raise ParameterError("style: an AdaIN run needs a style image (--style)")
            model.encoder.to(device)
            out = model(tensor(content, device), tensor(style, device), alpha)
        else:
            out = model(tensor(content, device))
    return image_of(out)


def stylize(image: Any, style: Any = None, *, run: Run | nn.Module | None = None,
            method: str = "gatys", alpha: float = 1.0, preserve_color: str | None = None,
            image_size: int | None = 512, style_size: int | None = None,
            progress: bool | None = None, **gatys: Any) -> StyleResult:
    """Stylise ``image`` with ``style``: Gatys optimisation, or a trained network.

    Args:
        image: HxWx3 (or gray) uint8 / float [0, 1] image, or an image file path.
        style: the style image (array or path); optional for a johnson run (trained on one).
        run: a ``stylize`` run folder / checkpoint, or a loaded network (then ``method`` is
            ignored).
        method: ``gatys`` (optimisation, see :func:`oculi.stylize.stylize_gatys`).
        alpha: AdaIN runs: content (0) to style (1) trade-off.
        preserve_color: None, ``luminance`` or ``histogram`` (networks: ``luminance`` keeps the
            content's chroma, ``histogram`` recolours the style image for AdaIN).
        image_size: the content's longer side in pixels (None: as is).
        style_size: the style's longer side (None: ``image_size``).
        progress: progress bar for the optimisation.
        **gatys: further :func:`~oculi.stylize.stylize_gatys` settings (``steps``,
            ``style_weight``, ``method`` of the optimiser as ``optimizer``...).

    Returns:
        :class:`~oculi.stylize.StyleResult` (uint8 image, losses, history, seconds).

    Raises:
        ImageReadError: an unreadable content or style file.
        ParameterError: bad options (no style for Gatys/AdaIN, alpha outside [0, 1]).
    """
    if preserve_color is not None and preserve_color not in COLOR_MODES:
        raise ParameterError(f"preserve_color: expected one of {', '.join(COLOR_MODES)} or "
                             f"None, got {preserve_color!r}")
    check_in_range(alpha, "alpha", 0.0, 1.0)
    if run is None:
        if method != "gatys":
            raise ParameterError(f"method: expected 'gatys' (or a trained run), got {method!r}")
        if style is None:
            raise ParameterError("style: Gatys style transfer needs a style image")
        from oculi.core.checks import check_choice
        from oculi.stylize.gatys import METHODS, stylize_gatys

        optimizer = check_choice(gatys.pop("optimizer", "lbfgs"), METHODS, "optimizer")
        return stylize_gatys(image, style, method=optimizer, image_size=image_size,
                             style_size=style_size, preserve_color=preserve_color,
                             progress=progress, **gatys)
    t0 = time.perf_counter()
    model, conf = (run, {"model": getattr(run, "config", dict)().get("model", "johnson")}) \
        if isinstance(run, nn.Module) else load_stylizer(run)
    content = fit_long_side(as_rgb01(image, "image"), image_size)
    s = None
    if style is not None:
        s = fit_long_side(as_rgb01(style, "style"), style_size or image_size)
        if preserve_color == "histogram":
            s = match_colors(s, content)
    out = _net_output(model, content, s, alpha)
    if preserve_color == "luminance":
        out = keep_chroma(out, content)
    return StyleResult(to_uint8(out), {}, [], time.perf_counter() - t0, conf.get("model", ""))
