"""Gatys, Ecker & Bethge (2016), "Image style transfer using convolutional neural networks": the
stylised image is optimised directly (L-BFGS or Adam) to match the content image's features and
the style image's Gram matrices on a frozen feature network.

    result = stylize_gatys(content, style, method="lbfgs", steps=300)
    result.image            # HxWx3 uint8
    result.history          # losses per evaluation
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import torch

from oculi.core.checks import check_choice, check_positive
from oculi.stylize._common import StyleResult, as_rgb01, fit_long_side, image_of, tensor, to_uint8
from oculi.stylize.color import COLOR_MODES, keep_chroma, luminance_only, match_colors
from oculi.stylize.features import StyleFeatures
from oculi.stylize.losses import StyleObjective

#: the optimisers of :func:`stylize_gatys`
METHODS = ("lbfgs", "adam")
#: where the optimisation starts
INITS = ("content", "noise")


def make_objective(style: np.ndarray, *, backbone: str = "efficientnet_lite0",
                   weights: Any = None, features: StyleFeatures | None = None,
                   content_layers: Sequence[str] | None = None,
                   style_layers: Sequence[str] | None = None,
                   style_layer_weights: Mapping[str, float] | Sequence[float] | None = None,
                   content_weight: float = 1.0, style_weight: float = 1e4,
                   tv_weight: float = 10.0, device: Any = "cpu") -> StyleObjective:
    """A :class:`StyleObjective` for one style image (HxWx3 float32 [0, 1], already sized)."""
    feats = features if features is not None else StyleFeatures(backbone, weights=weights)
    obj = StyleObjective(feats.to(device), None, content_layers=content_layers,
                         style_layers=style_layers, style_layer_weights=style_layer_weights,
                         content_weight=content_weight, style_weight=style_weight,
                         tv_weight=tv_weight)
    obj.set_style(tensor(style, device))
    return obj


def prepare_pair(content: Any, style: Any, image_size: int | None, style_size: int | None,
                 preserve_color: str | None) -> tuple[np.ndarray, np.ndarray]:
    """Content and style as float32 RGB, sized (long side), prepared for colour preservation
    (``luminance``: grey versions; ``histogram``: the style recoloured to the content)."""
    if preserve_color is not None:
        check_choice(preserve_color, COLOR_MODES, "preserve_color")
    c = fit_long_side(as_rgb01(content, "content"), image_size)
    s = fit_long_side(as_rgb01(style, "style"), style_size or image_size)
    if preserve_color == "luminance":
        c, s = luminance_only(c, s)
    elif preserve_color == "histogram":
        s = match_colors(s, c)
    return c, s


def optimize_image(objective: StyleObjective, content: torch.Tensor, init: torch.Tensor, *,
                   method: str = "lbfgs", steps: int = 300, lr: float = 0.02,
                   temporal: tuple[torch.Tensor, torch.Tensor, float] | None = None,
                   progress: bool | None = None) -> tuple[torch.Tensor, list[dict[str, float]]]:
    """Optimise the pixels of ``init`` (1x3xHxW in [0, 1]) under ``objective``.

    Args:
        objective: the losses (style targets set).
        content: 1x3xHxW content image (its features are computed once).
        init: the starting image.
        method: ``lbfgs`` (``steps`` loss evaluations) or ``adam`` (``steps`` updates at ``lr``).
        steps: loss evaluations.
        lr: Adam's learning rate (pixel units).
        temporal: ``(warped previous output, mask, weight)``: adds ``weight · mean(mask ·
            (x − warped)²)`` (Ruder et al. 2016's short-term temporal loss; mask 1xHxW... as
            1x1xHxW).
        progress: show a progress bar (None: when stderr is a terminal).

    Returns:
        The optimised 1x3xHxW image (clamped to [0, 1]) and the loss history.
    """
    from oculi.core.progress import progress_bar

    check_choice(method, METHODS, "method")
    steps = int(check_positive(steps, "steps"))
    targets = objective.content_targets(content)
    x = init.detach().clone().clamp(0, 1).requires_grad_(True)
    history: list[dict[str, float]] = []

    def evaluate() -> torch.Tensor:
        losses = objective(x, targets)
        total = losses["total"]
        if temporal is not None:
            warped, mask, weight = temporal
            t = (mask * (x - warped) ** 2).mean()
            total = total + weight * t
            losses["temporal"] = t
        row = {k: float(v.detach()) for k, v in losses.items()}
        row["total"] = float(total.detach())
        row["step"] = len(history)
        history.append(row)
        return total

    with progress_bar("stylize", stats=True, enabled=progress) as bar:
        task = bar.add_task("stylize", total=steps, stats="")
        if method == "lbfgs":
            opt = torch.optim.LBFGS([x], lr=1.0, max_iter=steps, max_eval=steps,
                                    history_size=50, tolerance_grad=0.0, tolerance_change=0.0)

            def closure() -> torch.Tensor:
                with torch.no_grad():
                    x.clamp_(0, 1)
                opt.zero_grad()
                total = evaluate()
                total.backward()
                bar.update(task, advance=1, stats=f"loss {history[-1]['total']:.4g}")
                return total

            opt.step(closure)
        else:
            opt = torch.optim.Adam([x], lr=lr)
            for _ in range(steps):
                opt.zero_grad()
                total = evaluate()
                total.backward()
                opt.step()
                with torch.no_grad():
                    x.clamp_(0, 1)
                bar.update(task, advance=1, stats=f"loss {history[-1]['total']:.4g}")
    return x.detach().clamp(0, 1), history


@torch.no_grad()
def measure_losses(objective: StyleObjective, image: torch.Tensor | np.ndarray,
                   content: torch.Tensor | np.ndarray) -> dict[str, float]:
    """The unweighted ``content``, ``style``, ``tv`` losses and the weighted ``total`` of an
    image (1x3xHxW tensor or HxWx3 array) against a content image of the same size."""
    dev = objective.features.mean.device
    x = image if isinstance(image, torch.Tensor) else tensor(as_rgb01(image, "image"), dev)
    c = content if isinstance(content, torch.Tensor) else tensor(as_rgb01(content, "content"),
                                                                 dev)
    return {k: float(v) for k, v in objective(x.to(dev), c.to(dev)).items()}


def stylize_gatys(content: Any, style: Any, *, method: str = "lbfgs", steps: int = 300,
                  image_size: int | None = 512, style_size: int | None = None,
                  content_weight: float = 1.0, style_weight: float = 1e4,
                  tv_weight: float = 10.0, init: str = "content",
                  preserve_color: str | None = None, lr: float = 0.02,
                  backbone: str = "efficientnet_lite0", weights: Any = None,
                  content_layers: Sequence[str] | None = None,
                  style_layers: Sequence[str] | None = None,
                  style_layer_weights: Mapping[str, float] | Sequence[float] | None = None,
                  features: StyleFeatures | None = None,
                  objective: StyleObjective | None = None, seed: int = 0,
                  device: str = "cpu", progress: bool | None = None) -> StyleResult:
    """Style transfer by optimisation (Gatys et al. 2016).

    Args:
        content, style: HxWx3 (or gray) uint8 / float [0, 1] images, or image file paths.
        method: ``lbfgs`` or ``adam``.
        steps: loss evaluations (L-BFGS) or Adam updates.
        image_size: the content's longer side in pixels during the transfer (None: as is).
        style_size: the style image's longer side (None: ``image_size``).
        content_weight, style_weight, tv_weight: the loss weights (unweighted terms: mean
            squared feature difference, mean squared normalised-Gram difference averaged over
            the style layers, anisotropic mean absolute TV).
        init: ``content`` (start from the content image) or ``noise`` (uniform noise).
        preserve_color: None, ``luminance`` (transfer on YUV luminance, content chroma kept) or
            ``histogram`` (style recoloured to the content's colour statistics first).
        lr: Adam's learning rate in [0, 1] pixel units.
        backbone: ``efficientnet_lite0`` (offline ImageNet weights), ``vgg16`` or ``vgg19``
            (``weights`` = a torchvision state-dict file).
        weights: the VGG weights file.
        content_layers, style_layers, style_layer_weights: layer choice by name (see
            :mod:`oculi.stylize.features`) and per-style-layer weights.
        features: a loaded feature network to use (instead of ``backbone``/``weights``).
        objective: a prepared :class:`StyleObjective` (reused across calls; the layer, weight
            and backbone arguments are then ignored).
        seed: the noise initialisation's seed.
        device: ``cpu`` or ``cuda``.
        progress: show a progress bar (None: when stderr is a terminal).

    Returns:
        :class:`StyleResult` (uint8 image, final losses, the loss history, seconds).
    """
    check_choice(init, INITS, "init")
    t0 = time.perf_counter()
    c, s = prepare_pair(content, style, image_size, style_size, preserve_color)
    if objective is None:
        objective = make_objective(s, backbone=backbone, weights=weights, features=features,
                                   content_layers=content_layers, style_layers=style_layers,
                                   style_layer_weights=style_layer_weights,
                                   content_weight=content_weight, style_weight=style_weight,
                                   tv_weight=tv_weight, device=device)
    ct = tensor(c, device)
    if init == "content":
        start = ct
    else:
        g = torch.Generator().manual_seed(seed)
        start = torch.rand(ct.shape, generator=g).to(device)
    out, history = optimize_image(objective, ct, start, method=method, steps=steps, lr=lr,
                                  progress=progress)
    image = image_of(out)
    if preserve_color == "luminance":
        image = keep_chroma(image, fit_long_side(as_rgb01(content, "content"), image_size))
    return StyleResult(to_uint8(image), measure_losses(objective, out, ct), history,
                       time.perf_counter() - t0,
                       f"gatys-{method}")
