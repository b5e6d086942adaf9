"""Prediction: whole images, tiled large images and sliding-window volumes, with Gaussian blending.

One routine serves 2-D tiles and 3-D patches: the input is padded (reflect for images, zeros for
volumes too small to reflect) to at least the window and to multiples of the network's stride,
windows are laid out with the requested overlap, and logits are averaged with Gaussian weights
(σ = window/8, the nnU-Net choice) so seams vanish; the padding is cropped away at the end.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F

from oculi.core.checks import check_choice, check_image
from oculi.core.errors import ParameterError, ShapeError


def _gaussian(window: Sequence[int]) -> torch.Tensor:
    grids = []
    for w in window:
        x = torch.arange(w, dtype=torch.float32) - (w - 1) / 2
        grids.append(torch.exp(-(x**2) / (2 * (w / 8) ** 2)))
    g = grids[0]
    for h in grids[1:]:
        g = g[..., None] * h
    return (g / g.max()).clamp_min(1e-3)


def _starts(size: int, win: int, step: int) -> list[int]:
    if size <= win:
        return [0]
    starts = [*range(0, size - win, step), size - win]
    return sorted(set(starts))


def _round_up(v: int, m: int) -> int:
    return int(math.ceil(v / m) * m)


@torch.no_grad()
def sliding_window(
    model: torch.nn.Module,
    x: torch.Tensor,
    window: Sequence[int] | int,
    *,
    overlap: float = 0.25,
    batch_size: int = 4,
    stride: Sequence[int] | None = None,
    blend: str = "gaussian",
) -> torch.Tensor:
    """Logits of ``model`` over ``x`` ``(N, C, *spatial)`` computed window by window.

    Args:
        model: maps ``(B, C, *window)`` to ``(B, K, *window)`` logits.
        x: input batch, 2-D or 3-D spatial.
        window: window size per spatial axis (rounded up to ``stride`` multiples).
        overlap: fraction of the window shared by neighbours, in [0, 1).
        batch_size: windows per forward pass.
        stride: the network's size multiple per axis (default ``model.stride`` or 1).
        blend: ``"gaussian"`` or ``"mean"`` (flat weights).

    Returns:
        ``(N, K, *spatial)`` float32 logits on ``x``'s grid.
    """
    if not 0 <= overlap < 1:
        raise ParameterError(f"overlap: expected a fraction in [0, 1), got {overlap}")
    check_choice(blend, ("gaussian", "mean"), "blend")
    nd = x.ndim - 2
    if nd not in (2, 3):
        raise ShapeError(f"x: expected (N, C, H, W) or (N, C, D, H, W), got {tuple(x.shape)}")
    win = [window] * nd if isinstance(window, int) else list(window)
    mult = list(stride or getattr(model, "stride", None) or (1,) * nd)
    spatial = list(x.shape[2:])
    win = [
        _round_up(min(w, _round_up(s, m)), m) for w, s, m in zip(win, spatial, mult, strict=True)
    ]
    padded = [max(_round_up(s, m), w) for s, m, w in zip(spatial, mult, win, strict=True)]
    pad = []
    for s, p in reversed(list(zip(spatial, padded, strict=True))):
        pad += [0, p - s]
    if any(pad):
        mode = (
            "reflect"
            if all(p - s < s for s, p in zip(spatial, padded, strict=True))
            else "constant"
        )
        x = F.pad(x, pad, mode=mode)
    steps = [max(1, int(w * (1 - overlap))) for w in win]
    starts = [_starts(p, w, st) for p, w, st in zip(padded, win, steps, strict=True)]
    weight = _gaussian(win) if blend == "gaussian" else torch.ones(win)
    weight = weight.to(x.device)
    out = None
    norm = torch.zeros(padded, device=x.device)
    for n in range(x.shape[0]):
        corners = list(itertools.product(*starts))
        for i in range(0, len(corners), batch_size):
            chunk = corners[i : i + batch_size]
            sls = [tuple(slice(c, c + w) for c, w in zip(cs, win, strict=True)) for cs in chunk]
            batch = torch.stack([x[(n, slice(None), *sl)] for sl in sls])
            logits = model(batch).float()
            if out is None:
                out = torch.zeros((x.shape[0], logits.shape[1], *padded), device=x.device)
            for sl, lg in zip(sls, logits, strict=True):
                out[(n, slice(None), *sl)] += lg * weight
                if n == 0:
                    norm[sl] += weight
    assert out is not None
    out = out / norm
    crop = (slice(None), slice(None), *[slice(0, s) for s in spatial])
    return out[crop]


#: test-time augmentation views per mode: each a pair of spatial flips and a transpose flag
TTA_MODES = ("none", "hflip", "flips", "d4")


def _tta_views(mode: str, nd: int) -> list[tuple[tuple[int, ...], bool]]:
    check_choice(mode, TTA_MODES, "tta")
    last = nd + 1  # index of the last spatial axis in (N, C, *spatial)
    if mode == "none":
        return [((), False)]
    if mode == "hflip":
        return [((), False), ((last,), False)]
    axes = list(range(2, 2 + nd))
    flips = [
        tuple(a for a, bit in zip(axes, bits, strict=True) if bit)
        for bits in itertools.product((0, 1), repeat=nd)
    ]
    views = [(f, False) for f in flips]
    if mode == "d4":
        if nd != 2:
            raise ParameterError("tta='d4' needs 2-D images (use 'flips' for volumes)")
        views += [(f, True) for f in flips]
    return views


@torch.no_grad()
def predict_logits(
    model: torch.nn.Module,
    x: torch.Tensor,
    window: Sequence[int] | int,
    *,
    tta: str = "none",
    **kwargs: Any,
) -> torch.Tensor:
    """:func:`sliding_window` logits, averaged over test-time augmentation views.

    Args:
        model, x, window: as :func:`sliding_window` (``x`` ``(N, C, *spatial)``).
        tta: ``"none"``; ``"hflip"`` (2 views: identity, horizontal flip); ``"flips"`` (every
            combination of flips of the spatial axes: 4 in 2-D, 8 in 3-D); ``"d4"`` (2-D: the 8
            symmetries of the square — flips and transposes; for data without a preferred
            orientation such as microscopy). Each view is predicted, mapped back and the logits
            are averaged.
        kwargs: passed to :func:`sliding_window`.

    Returns:
        ``(N, K, *spatial)`` float32 logits.
    """
    nd = x.ndim - 2
    views = _tta_views(tta, nd)
    win = [window] * nd if isinstance(window, int) else list(window)
    total = None
    for flip, transpose in views:
        v = x.flip(flip) if flip else x
        w = win
        if transpose:
            v, w = v.transpose(-1, -2), win[::-1]
        lg = sliding_window(model, v, w, **kwargs)
        if transpose:
            lg = lg.transpose(-1, -2)
        if flip:
            lg = lg.flip(flip)
        total = lg if total is None else total + lg
    assert total is not None
    return total / len(views)


def labels_from_logits(logits: torch.Tensor, threshold: float = 0.5) -> torch.Tensor:
    """``(N, K, ...)`` logits -> ``(N, ...)`` int64 classes (one channel: sigmoid > threshold)."""
    if logits.shape[1] == 1:
        return (logits[:, 0].sigmoid() > threshold).long()
    return logits.argmax(1)


def probabilities(logits: torch.Tensor) -> torch.Tensor:
    """``(N, K, ...)`` logits -> ``(N, C, ...)`` class probabilities (binary: background, fg)."""
    if logits.shape[1] == 1:
        p = logits.sigmoid()
        return torch.cat([1 - p, p], 1)
    return logits.softmax(1)


@torch.no_grad()
def predict_image(
    model: torch.nn.Module,
    image: np.ndarray,
    *,
    tile: int | None = 512,
    overlap: float = 0.25,
    threshold: float = 0.5,
    tta: str = "none",
) -> tuple[np.ndarray, np.ndarray]:
    """Segment one image: ``(mask, probabilities)``.

    Args:
        model: a :class:`~oculi.segment.Segmenter` (2-D).
        image: HxWx3 RGB (HxW gray is repeated to RGB for 3-channel models), uint8 or float [0, 1].
        tile: images larger than ``tile`` on a side are predicted in overlapping tiles of this size
            (None: always whole).
        overlap, threshold: tiling overlap; binary decision threshold.
        tta: test-time augmentation (:func:`predict_logits`: none, hflip, flips, d4).

    Returns:
        ``mask``: HxW uint8 class indices; ``probabilities``: CxHxW float32.
    """
    from oculi.core.convert import ensure_float01, to_rgb

    check_image(image)
    cin = getattr(model, "in_channels", 3)
    img = to_rgb(image) if cin == 3 else (image if image.ndim == 2 else image[..., 0])
    f = ensure_float01(img)
    if f.ndim == 2:
        f = f[..., None]
    x = torch.from_numpy(np.ascontiguousarray(f.transpose(2, 0, 1)))[None]
    p = next(model.parameters(), None)
    if p is not None:
        x = x.to(p.device)
    model.eval()
    h, w = f.shape[:2]
    win = [h, w] if not tile or max(h, w) <= tile else [tile, tile]
    logits = predict_logits(model, x, win, overlap=overlap, tta=tta)
    mask = labels_from_logits(logits, threshold)[0].cpu().numpy().astype(np.uint8)
    return mask, probabilities(logits)[0].cpu().numpy()


@torch.no_grad()
def predict_volume(
    model: torch.nn.Module,
    volume: np.ndarray,
    *,
    patch: Sequence[int],
    overlap: float = 0.5,
    batch_size: int = 2,
    threshold: float = 0.5,
) -> np.ndarray:
    """Segment a ``(D, H, W)`` (or ``(C, D, H, W)``) float [0, 1] volume with sliding windows.

    Returns:
        ``(D, H, W)`` uint8 class indices on the input grid.
    """
    v = np.asarray(volume, np.float32)
    if v.ndim == 3:
        v = v[None]
    if v.ndim != 4:
        raise ShapeError(f"volume: expected (D, H, W) or (C, D, H, W), got {v.shape}")
    x = torch.from_numpy(np.ascontiguousarray(v))[None]
    p = next(model.parameters(), None)
    if p is not None:
        x = x.to(p.device)
    model.eval()
    logits = sliding_window(model, x, patch, overlap=overlap, batch_size=batch_size)
    return labels_from_logits(logits, threshold)[0].cpu().numpy().astype(np.uint8)


def colorize(mask: np.ndarray, colors: Sequence[Sequence[int]] | None = None) -> np.ndarray:
    """HxW class indices -> HxWx3 uint8 colours (a fixed palette when none is given)."""
    m = np.asarray(mask).astype(np.int64)
    if colors is None:
        rng = np.random.default_rng(7)
        pal = rng.integers(40, 256, (256, 3)).astype(np.uint8)
        pal[0] = (0, 0, 0)
        pal[1] = (255, 64, 64)
    else:
        pal = np.zeros((max(256, len(colors)), 3), np.uint8)
        pal[: len(colors)] = np.asarray(colors, np.uint8)
    return pal[np.clip(m, 0, len(pal) - 1)]


def overlay(
    image: np.ndarray,
    mask: np.ndarray,
    *,
    alpha: float = 0.45,
    colors: Sequence[Sequence[int]] | None = None,
) -> np.ndarray:
    """Blend the coloured mask over an RGB image (class 0 left clear); HxWx3 uint8."""
    from oculi.core.convert import ensure_uint8, to_rgb

    rgb = ensure_uint8(to_rgb(check_image(image))).astype(np.float32)
    if rgb.shape[:2] != np.asarray(mask).shape:
        raise ShapeError(
            f"mask: expected the image's size {rgb.shape[:2]}, got {np.asarray(mask).shape}"
        )
    col = colorize(mask, colors).astype(np.float32)
    a = (np.asarray(mask) > 0)[..., None] * alpha
    return np.clip(rgb * (1 - a) + col * a + 0.5, 0, 255).astype(np.uint8)


def predict_instances(
    model: torch.nn.Module,
    image: np.ndarray,
    *,
    tile: int | None = 512,
    min_distance: int = 4,
    min_size: int = 15,
) -> np.ndarray:
    """Objects of one image: the model's foreground probability (1 - background) split by the
    distance-transform watershed (:func:`~oculi.segment.instances_from_probability`).

    Args:
        model: a 2-D :class:`~oculi.segment.Segmenter`.
        image: HxWx3 RGB, uint8 or float in [0, 1].
        tile: tile size for large images (pixels; None: whole image).
        min_distance: smallest distance between object centres (pixels).
        min_size: objects smaller than this are dropped (pixels).

    Returns:
        (H, W) int32 label image, 0 = background, objects numbered from 1.
    """
    from oculi.segment.instances import instances_from_probability

    if getattr(model, "dims", 2) != 2:
        raise ParameterError("predict_instances: needs a 2-D model")
    _, prob = predict_image(model, image, tile=tile)
    return instances_from_probability(np.clip(1.0 - prob[0], 0.0, 1.0),
                                      min_distance=min_distance, min_size=min_size)
